//! The app OAuth2 store: apps keep their remote provider's credentials and each user's remote
//! token, and users connect their accounts through a connect/complete flow run by the plugin.

pub mod api;
pub mod connect;
pub mod records;
