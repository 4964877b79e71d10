//! (work in progress: messages package)
