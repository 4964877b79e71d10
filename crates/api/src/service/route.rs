//! RouteService: paged and streamed listings, explain, local origination.

use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::ApiService;
use crate::Backend;
use crate::pb::{self, route_service_server::RouteService};
use crate::types::RouteQuery;
use crate::validate::{self, invalid};

/// Page size when the client gives none.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: usize = 1000;
/// Routes per backend call and per message of StreamRoutes.
pub const STREAM_BATCH: usize = 500;

#[tonic::async_trait]
impl<B: Backend> RouteService for ApiService<B> {
    async fn list_routes(
        &self,
        req: Request<pb::ListRoutesRequest>,
    ) -> Result<Response<pb::ListRoutesResponse>, Status> {
        let r = req.into_inner();
        let limit = match r.page_size as usize {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let view = validate::view(r.view)?;
        let filter = validate::filter(r.filter.as_ref())?;
        let after = validate::cursor(&r.page_token, view, &filter)?;
        let query = RouteQuery {
            view,
            filter,
            after,
            limit,
        };
        let page = self.backend().list_routes(query.clone()).await?;
        let next_page_token = page
            .next
            .as_ref()
            .map(|c| validate::page_token(query.view, &query.filter, c))
            .unwrap_or_default();
        Ok(Response::new(pb::ListRoutesResponse {
            routes: page.routes,
            next_page_token,
        }))
    }

    type StreamRoutesStream = ReceiverStream<Result<pb::StreamRoutesResponse, Status>>;

    async fn stream_routes(
        &self,
        req: Request<pb::StreamRoutesRequest>,
    ) -> Result<Response<Self::StreamRoutesStream>, Status> {
        let r = req.into_inner();
        let mut query = RouteQuery {
            view: validate::view(r.view)?,
            filter: validate::filter(r.filter.as_ref())?,
            after: None,
            limit: STREAM_BATCH,
        };
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let svc = self.clone();
        // One backend call per batch: the core is asked for a little at a
        // time, and a slow client only slows this task.
        tokio::spawn(async move {
            loop {
                let page = match svc.backend().list_routes(query.clone()).await {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
                let msg = pb::StreamRoutesResponse {
                    routes: page.routes,
                };
                if tx.send(Ok(msg)).await.is_err() {
                    return;
                }
                match page.next {
                    Some(c) => query.after = Some(c),
                    None => return,
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn explain_route(
        &self,
        req: Request<pb::ExplainRouteRequest>,
    ) -> Result<Response<pb::ExplainRouteResponse>, Status> {
        let r = req.into_inner();
        let rd = validate::opt_rd("rd", &r.rd)?.ok_or_else(|| invalid("rd", "required"))?;
        let prefix = validate::route_prefix("prefix", &r.prefix)?;
        let found = self.backend().explain_route(rd, prefix).await?;
        found
            .map(Response::new)
            .ok_or_else(|| Status::not_found(format!("no route {} with rd {}", r.prefix, r.rd)))
    }

    async fn list_unicast_routes(
        &self,
        req: Request<pb::ListUnicastRoutesRequest>,
    ) -> Result<Response<pb::ListUnicastRoutesResponse>, Status> {
        let r = req.into_inner();
        let family = match r.family.as_str() {
            "" => None,
            f => match f.parse::<evpnd_wire::Family>() {
                Ok(f)
                    if f == evpnd_wire::Family::IPV4_UNICAST
                        || f == evpnd_wire::Family::IPV6_UNICAST =>
                {
                    Some(f)
                }
                _ => {
                    return Err(invalid(
                        "family",
                        format!("{f:?} is not ipv4-unicast or ipv6-unicast"),
                    ));
                }
            },
        };
        let prefix = validate::opt_exact_prefix("prefix", &r.prefix)?;
        let routes = self.backend().list_unicast_routes(family, prefix).await?;
        Ok(Response::new(pb::ListUnicastRoutesResponse { routes }))
    }

    async fn add_route(
        &self,
        req: Request<pb::AddRouteRequest>,
    ) -> Result<Response<pb::AddRouteResponse>, Status> {
        self.require_write("AddRoute")?;
        let route = validate::local_route(req.into_inner().route.as_ref())?;
        let key = self.backend().add_route(route).await?;
        Ok(Response::new(pb::AddRouteResponse { key: Some(key) }))
    }

    async fn delete_route(
        &self,
        req: Request<pb::DeleteRouteRequest>,
    ) -> Result<Response<pb::DeleteRouteResponse>, Status> {
        self.require_write("DeleteRoute")?;
        let route = validate::local_route(req.into_inner().route.as_ref())?;
        self.backend().delete_route(route).await?;
        Ok(Response::new(pb::DeleteRouteResponse {}))
    }
}
