//! EvpnService and DataplaneService.

use tonic::{Request, Response, Status};

use super::ApiService;
use crate::Backend;
use crate::pb::{
    self, dataplane_service_server::DataplaneService, evpn_service_server::EvpnService,
};
use crate::types::MacFilter;
use crate::validate::{mac, opt_mac, opt_vni, origin, vni};

#[tonic::async_trait]
impl<B: Backend> EvpnService for ApiService<B> {
    async fn list_vnis(
        &self,
        req: Request<pb::ListVnisRequest>,
    ) -> Result<Response<pb::ListVnisResponse>, Status> {
        let v = opt_vni("vni", req.into_inner().vni)?;
        let vnis = self.backend().list_vnis(v).await?;
        Ok(Response::new(pb::ListVnisResponse { vnis }))
    }

    async fn list_macs(
        &self,
        req: Request<pb::ListMacsRequest>,
    ) -> Result<Response<pb::ListMacsResponse>, Status> {
        let r = req.into_inner();
        let filter = MacFilter {
            vni: opt_vni("vni", r.vni)?,
            mac: opt_mac("mac", &r.mac)?,
            origin: origin("origin", r.origin)?,
        };
        let macs = self.backend().list_macs(filter).await?;
        Ok(Response::new(pb::ListMacsResponse { macs }))
    }

    async fn list_neighbors(
        &self,
        req: Request<pb::ListNeighborsRequest>,
    ) -> Result<Response<pb::ListNeighborsResponse>, Status> {
        let v = opt_vni("vni", req.into_inner().vni)?;
        let neighbors = self.backend().list_neighbors(v).await?;
        Ok(Response::new(pb::ListNeighborsResponse { neighbors }))
    }

    async fn list_vteps(
        &self,
        _req: Request<pb::ListVtepsRequest>,
    ) -> Result<Response<pb::ListVtepsResponse>, Status> {
        let vteps = self.backend().list_vteps().await?;
        Ok(Response::new(pb::ListVtepsResponse { vteps }))
    }

    async fn list_duplicates(
        &self,
        req: Request<pb::ListDuplicatesRequest>,
    ) -> Result<Response<pb::ListDuplicatesResponse>, Status> {
        let v = opt_vni("vni", req.into_inner().vni)?;
        let duplicates = self.backend().list_duplicates(v).await?;
        Ok(Response::new(pb::ListDuplicatesResponse { duplicates }))
    }

    async fn clear_duplicate(
        &self,
        req: Request<pb::ClearDuplicateRequest>,
    ) -> Result<Response<pb::ClearDuplicateResponse>, Status> {
        self.require_write("ClearDuplicate")?;
        let r = req.into_inner();
        let v = vni("vni", r.vni)?;
        let m = mac("mac", &r.mac)?;
        self.backend().clear_duplicate(v, m).await?;
        Ok(Response::new(pb::ClearDuplicateResponse {}))
    }
}

#[tonic::async_trait]
impl<B: Backend> DataplaneService for ApiService<B> {
    async fn get_dataplane(
        &self,
        req: Request<pb::GetDataplaneRequest>,
    ) -> Result<Response<pb::GetDataplaneResponse>, Status> {
        let v = opt_vni("vni", req.into_inner().vni)?;
        let vnis = self.backend().dataplane(v).await?;
        Ok(Response::new(pb::GetDataplaneResponse { vnis }))
    }
}
