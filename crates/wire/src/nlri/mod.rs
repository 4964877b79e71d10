//! NLRI encodings. Owned by the "NLRI" work package. (work in progress)
