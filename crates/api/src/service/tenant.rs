//! TenantService: the L3 tenants, their routes and Router's MACs. Reads
//! only, so every RPC is allowed on the read-only socket.

use tonic::{Request, Response, Status};

use super::ApiService;
use crate::Backend;
use crate::pb::{self, tenant_service_server::TenantService};
use crate::types::VrfRouteQuery;
use crate::validate::{self, opt_exact_prefix, opt_vrf};

/// `ListVrfRoutes` page size when the client gives none.
pub const DEFAULT_VRF_PAGE_SIZE: usize = 100;
/// The largest `ListVrfRoutes` page; larger requests are refused.
pub const MAX_VRF_PAGE_SIZE: usize = 1000;

/// `NOT_FOUND` for a tenant that is not configured.
fn no_vrf(field: &str, name: &str) -> Status {
    Status::not_found(format!("{field}: no vrf {name} in the configuration"))
}

#[tonic::async_trait]
impl<B: Backend> TenantService for ApiService<B> {
    async fn list_vrfs(
        &self,
        req: Request<pb::ListVrfsRequest>,
    ) -> Result<Response<pb::ListVrfsResponse>, Status> {
        let name = opt_vrf("name", &req.into_inner().name)?;
        let vrfs = self.backend().list_vrfs(name.clone()).await?;
        match name {
            Some(n) if vrfs.is_empty() => Err(no_vrf("name", &n)),
            _ => Ok(Response::new(pb::ListVrfsResponse { vrfs })),
        }
    }

    async fn list_vrf_routes(
        &self,
        req: Request<pb::ListVrfRoutesRequest>,
    ) -> Result<Response<pb::ListVrfRoutesResponse>, Status> {
        let r = req.into_inner();
        let vrf = opt_vrf("vrf", &r.vrf)?;
        let prefix = opt_exact_prefix("prefix", &r.prefix)?;
        let limit = validate::page_size(
            "page_size",
            r.page_size,
            DEFAULT_VRF_PAGE_SIZE,
            MAX_VRF_PAGE_SIZE,
        )?;
        let after = validate::vrf_cursor(&r.page_token, vrf.as_deref(), prefix.as_ref())?;
        let query = VrfRouteQuery {
            vrf: vrf.clone(),
            prefix,
            after,
            limit,
        };
        let Some(page) = self.backend().list_vrf_routes(query).await? else {
            return Err(no_vrf("vrf", &r.vrf));
        };
        let next_page_token = page
            .next
            .as_ref()
            .map(|c| validate::vrf_page_token(vrf.as_deref(), prefix.as_ref(), c))
            .unwrap_or_default();
        Ok(Response::new(pb::ListVrfRoutesResponse {
            routes: page.routes,
            next_page_token,
        }))
    }

    async fn list_router_macs(
        &self,
        req: Request<pb::ListRouterMacsRequest>,
    ) -> Result<Response<pb::ListRouterMacsResponse>, Status> {
        let r = req.into_inner();
        let vrf = opt_vrf("vrf", &r.vrf)?;
        let Some(router_macs) = self.backend().list_router_macs(vrf).await? else {
            return Err(no_vrf("vrf", &r.vrf));
        };
        Ok(Response::new(pb::ListRouterMacsResponse { router_macs }))
    }
}
