//! What the queries show of a tenant: its routes (paths, local source,
//! installed or why not) and the remote Router's MACs.
