//! (work in progress: attributes package)
