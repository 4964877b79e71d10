//! evpnd's management API: the `evpn.v1` gRPC services.
pub mod pb {
    //! The generated `evpn.v1` messages, clients and servers.
    #![allow(clippy::all, missing_docs)]
    tonic::include_proto!("evpn.v1");
    /// The encoded file descriptor set, for gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("evpn_v1_descriptor");
}
