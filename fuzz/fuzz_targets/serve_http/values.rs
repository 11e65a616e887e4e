//! The values the parts are filled with: issued values, protocol words, URLs, JSON.

use crate::*;

/// A string value: mostly the real values issued so far, protocol words and URLs.
#[derive(Arbitrary, Debug)]
pub(crate) enum Text {
    Known(Known),
    Word(Word),
    Url(UrlKind),
    Number(i64),
    Fuzz(String),
    Repeat(u8, u16),
    Id(u128),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Known {
    AppId,
    AppSecret,
    PublicId,
    Client(u8),
    ClientSecret(u8),
    Callback(u8),
    Code(u8),
    AccessToken(u8),
    RefreshToken(u8),
    Connection(u8),
    State(u8),
    Verifier,
    Challenge,
    AdminId,
    UserId,
    DeactivatedId,
    JiraAppId,
    OcSecret,
    OcClientId,
    SiteUrl,
    /// The setup's confidential device client (RFC 8628), and its secret.
    DeviceClientId,
    DeviceClientSecret,
    DeviceCode(u8),
    UserCode(u8),
    /// A registered protected resource's id, secret and identifier.
    Resource(u8),
    ResourceSecret(u8),
    ResourceIdentifier(u8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Word {
    Code,
    Token,
    IdToken,
    S256,
    Plain,
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    Password,
    Implicit,
    ClientSecretBasic,
    ClientSecretPost,
    None,
    User,
    Bearer,
    True,
    False,
    Zero,
    MinusOne,
    Huge,
    AccessTokenHint,
    RefreshTokenHint,
    Empty,
    Space,
    OpenId,
    Profile,
    Email,
    OpenIdProfileEmail,
    DeviceCodeGrant,
    Jwt,
    Introspection,
    Approved,
    Denied,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum UrlKind {
    AppCallback,
    AppCallback2,
    PublicCallback,
    DcrAllowed(u8),
    DcrLocalhost(u16),
    DcrDenied,
    Homepage,
    Icon,
    TokenUrl,
    RemoteAuthorize,
    RemoteToken,
    AudienceCovered(String),
    AudienceExact,
    AudienceQuery(String),
    AudiencePrefix(String),
    Uncovered,
    Loopback,
    SchemeOnly,
    Fragment,
    Userinfo,
    Javascript,
    Relative,
    Ftp,
    UpperCase,
    Site(String),
    /// A protected resource beside the chat server.
    Beside(String),
    /// A protected resource under the SiteURL, with a dot segment.
    DotSegment,
}

/// A boolean field's value.
#[derive(Arbitrary, Debug)]
pub(crate) enum Flag {
    Yes,
    No,
    Other(Field),
}

/// A JSON field's value: mostly a string, sometimes any JSON.
#[derive(Debug)]
pub(crate) enum Field {
    Str(Text),
    Json(Json),
}

impl<'a> Arbitrary<'a> for Field {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(if u.arbitrary::<u8>()? < 224 { Field::Str(u.arbitrary()?) } else { Field::Json(u.arbitrary()?) })
    }
}

/// Any JSON value, at most a few levels deep.
#[derive(Debug)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text),
    Array(Vec<Json>),
    Object(Vec<(Text, Json)>),
}

impl Json {
    pub(crate) fn generate(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Json> {
        let kinds = if depth >= 4 { 4 } else { 6 };
        Ok(match u.int_in_range(0..=kinds)? {
            0 => Json::Null,
            1 => Json::Bool(u.arbitrary()?),
            2 => Json::Int(u.arbitrary()?),
            3 => Json::Float(u.arbitrary()?),
            4 => Json::Str(u.arbitrary()?),
            5 => {
                let len = u.int_in_range(0..=4)?;
                Json::Array((0..len).map(|_| Json::generate(u, depth + 1)).collect::<Result<_, _>>()?)
            }
            _ => {
                let len = u.int_in_range(0..=4)?;
                let mut fields = Vec::with_capacity(len);
                for _ in 0..len {
                    fields.push((u.arbitrary()?, Json::generate(u, depth + 1)?));
                }
                Json::Object(fields)
            }
        })
    }
}

impl<'a> Arbitrary<'a> for Json {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Json::generate(u, 0)
    }
}
