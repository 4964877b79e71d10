//! DaemonService.

use tonic::{Request, Response, Status};

use super::ApiService;
use crate::Backend;
use crate::pb::{self, daemon_service_server::DaemonService};
use crate::types::ConfigSource;
use crate::validate::invalid;

#[tonic::async_trait]
impl<B: Backend> DaemonService for ApiService<B> {
    async fn get_status(
        &self,
        _req: Request<pb::GetStatusRequest>,
    ) -> Result<Response<pb::GetStatusResponse>, Status> {
        Ok(Response::new(self.backend().status().await?))
    }

    async fn validate_config(
        &self,
        req: Request<pb::ValidateConfigRequest>,
    ) -> Result<Response<pb::ValidateConfigResponse>, Status> {
        use pb::validate_config_request::Source;
        let source = match req.into_inner().source {
            Some(Source::Path(p)) if !p.is_empty() => {
                // The daemon reads the file with its own rights; its errors quote it.
                self.require_write("ValidateConfig with a path")?;
                ConfigSource::Path(p.into())
            }
            Some(Source::Text(t)) => ConfigSource::Text(t),
            _ => return Err(invalid("source", "a path or the text is required")),
        };
        let errors = self.backend().validate_config(source).await?;
        Ok(Response::new(pb::ValidateConfigResponse { errors }))
    }

    async fn reload_config(
        &self,
        _req: Request<pb::ReloadConfigRequest>,
    ) -> Result<Response<pb::ReloadConfigResponse>, Status> {
        self.require_write("ReloadConfig")?;
        Ok(Response::new(self.backend().reload_config().await?))
    }

    async fn set_log_level(
        &self,
        req: Request<pb::SetLogLevelRequest>,
    ) -> Result<Response<pb::SetLogLevelResponse>, Status> {
        self.require_write("SetLogLevel")?;
        let v = req.into_inner().level;
        let level = match pb::LogLevel::try_from(v) {
            Ok(pb::LogLevel::Unspecified) => {
                return Err(invalid("level", "a log level is required"));
            }
            Ok(l) => l,
            Err(_) => return Err(invalid("level", format!("unknown log level {v}"))),
        };
        let previous = self.backend().set_log_level(level).await?;
        Ok(Response::new(pb::SetLogLevelResponse {
            previous: previous.into(),
        }))
    }
}
