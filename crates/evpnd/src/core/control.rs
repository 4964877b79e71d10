//! What the operator changes on a running core over the API: a peer's
//! enabled state, soft resets, the configuration generation.

use evpnd_api::BackendError;

use super::Core;

impl Core {
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The operator enabled or disabled a peer (API).
    pub fn set_enabled(&mut self, addr: std::net::IpAddr, enabled: bool) {
        if let Some(s) = self
            .peers
            .iter_mut()
            .find(|s| !s.removed && *s.cfg.address.get_ref() == addr)
        {
            s.cfg.enabled = enabled;
        }
    }

    /// Soft reset in is possible only if the peer negotiated route refresh.
    pub fn refresh_in(&self, addr: std::net::IpAddr) -> Result<(), BackendError> {
        let Some(s) = self
            .peers
            .iter()
            .find(|s| !s.removed && *s.cfg.address.get_ref() == addr)
        else {
            return Err(BackendError::NotFound(format!(
                "no neighbor {addr} in the configuration"
            )));
        };
        match &s.up {
            None => Err(BackendError::FailedPrecondition(format!(
                "neighbor {addr} is not established"
            ))),
            Some(n) if !n.route_refresh => Err(BackendError::FailedPrecondition(format!(
                "neighbor {addr} did not negotiate route refresh; use a hard reset"
            ))),
            Some(_) => Ok(()),
        }
    }

    /// Soft reset out: re-sends the peer's whole Adj-RIB-Out.
    pub async fn resend(&mut self, addr: std::net::IpAddr) -> Result<(), BackendError> {
        let Some(i) = self
            .peers
            .iter()
            .position(|s| !s.removed && *s.cfg.address.get_ref() == addr)
        else {
            return Err(BackendError::NotFound(format!(
                "no neighbor {addr} in the configuration"
            )));
        };
        if self.peers[i].up.is_none() {
            return Err(BackendError::FailedPrecondition(format!(
                "neighbor {addr} is not established"
            )));
        }
        self.peers[i].out.requeue_all();
        self.flush(i as u32).await;
        Ok(())
    }
}
