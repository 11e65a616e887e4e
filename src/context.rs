//! What a request handler sees: the host, the configuration as it was when the request came in,
//! and the at-rest cipher (through [`Context::store`], so that sealed records are sealed).

use crate::config::ServerConfig;
use crate::crypto::Sealer;
use crate::host::Host;
use crate::store::Store;
use std::rc::Rc;

pub struct Context<'a, H: Host> {
    pub host: &'a H,
    pub config: Rc<ServerConfig>,
    /// Set once the plugin is activated with the host's at-rest key.
    pub sealer: Option<Rc<Sealer>>,
}

impl<H: Host> Context<'_, H> {
    /// The plugin's records in the KV store.
    pub fn store(&self) -> Store<'_, H> {
        Store::new(self.host, self.sealer.as_deref())
    }
}
