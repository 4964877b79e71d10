//! `evpnctl migrate`'s kernel side: the inventory read over netlink
//! ([`read`]) and the plan's ops carried out over netlink ([`exec`]),
//! behind `evpnd_migrate::Kernel` so the planner's `apply` and `rollback`
//! drive the real kernel exactly as they drive their in-memory model.

pub mod exec;
pub mod read;

use evpnd_migrate::{Inventory, Kernel, Op};
use rtnetlink::Handle;
use tokio::runtime::Runtime;

/// The kernel of the current network namespace, driven synchronously (a
/// private current-thread runtime: `evpnctl` is not async there).
pub struct LiveKernel {
    rt: Runtime,
    handle: Handle,
}

impl LiveKernel {
    /// Opens a netlink socket.
    pub fn open() -> Result<LiveKernel, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("runtime: {e}"))?;
        let handle = rt.block_on(async {
            let (conn, handle, _) =
                rtnetlink::new_connection().map_err(|e| format!("netlink socket: {e}"))?;
            tokio::spawn(conn);
            Ok::<_, String>(handle)
        })?;
        Ok(LiveKernel { rt, handle })
    }
}

impl Kernel for LiveKernel {
    fn read(&mut self) -> Result<Inventory, String> {
        self.rt.block_on(read::inventory(&self.handle))
    }

    fn execute(&mut self, op: &Op) -> Result<(), String> {
        self.rt.block_on(exec::execute(&self.handle, op))
    }
}
