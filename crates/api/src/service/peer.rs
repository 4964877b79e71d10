//! PeerService.

use tonic::{Request, Response, Status};

use super::ApiService;
use crate::Backend;
use crate::pb::{self, peer_service_server::PeerService};
use crate::validate::{invalid, peer_ref};

/// `NOT_FOUND` for an unknown peer.
fn no_peer(a: crate::PeerRef) -> Status {
    Status::not_found(format!("address: no peer {a}"))
}

#[tonic::async_trait]
impl<B: Backend> PeerService for ApiService<B> {
    async fn list_peers(
        &self,
        _req: Request<pb::ListPeersRequest>,
    ) -> Result<Response<pb::ListPeersResponse>, Status> {
        let peers = self.backend().list_peers().await?;
        Ok(Response::new(pb::ListPeersResponse { peers }))
    }

    async fn get_peer(
        &self,
        req: Request<pb::GetPeerRequest>,
    ) -> Result<Response<pb::GetPeerResponse>, Status> {
        let a = peer_ref("address", &req.into_inner().address)?;
        let peer = self
            .backend()
            .get_peer(a.clone())
            .await?
            .ok_or_else(|| no_peer(a))?;
        Ok(Response::new(pb::GetPeerResponse { peer: Some(peer) }))
    }

    async fn enable_peer(
        &self,
        req: Request<pb::EnablePeerRequest>,
    ) -> Result<Response<pb::EnablePeerResponse>, Status> {
        self.require_write("EnablePeer")?;
        let a = peer_ref("address", &req.into_inner().address)?;
        self.backend().enable_peer(a).await?;
        Ok(Response::new(pb::EnablePeerResponse {}))
    }

    async fn disable_peer(
        &self,
        req: Request<pb::DisablePeerRequest>,
    ) -> Result<Response<pb::DisablePeerResponse>, Status> {
        self.require_write("DisablePeer")?;
        let r = req.into_inner();
        let a = peer_ref("address", &r.address)?;
        // RFC 9003: the shutdown communication is at most 255 octets.
        if r.reason.len() > 255 {
            return Err(invalid("reason", "longer than 255 octets (RFC 9003)"));
        }
        self.backend().disable_peer(a, r.reason).await?;
        Ok(Response::new(pb::DisablePeerResponse {}))
    }

    async fn reset_peer(
        &self,
        req: Request<pb::ResetPeerRequest>,
    ) -> Result<Response<pb::ResetPeerResponse>, Status> {
        self.require_write("ResetPeer")?;
        let r = req.into_inner();
        let a = peer_ref("address", &r.address)?;
        let kind = match pb::ResetKind::try_from(r.kind) {
            Ok(pb::ResetKind::Unspecified) => {
                return Err(invalid("kind", "soft-in, soft-out or hard is required"));
            }
            Ok(k) => k,
            Err(_) => return Err(invalid("kind", format!("unknown reset kind {}", r.kind))),
        };
        self.backend().reset_peer(a, kind).await?;
        Ok(Response::new(pb::ResetPeerResponse {}))
    }
}
