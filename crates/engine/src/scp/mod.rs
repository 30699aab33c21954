//! Splunk's custom search command protocol v2 ("chunked"), in layers:
//! [`frame`] reads and writes chunks; [`message`] holds the requests,
//! replies and errors both sessions share and enforces the request order;
//! [`streaming`] is the session of `| dynamicdns` and [`generating`] that
//! of a generating command (`| dynamicdnsinfo`). DESIGN.md ("The protocol's
//! contract") says what splunkd and the command promise each other.

pub mod frame;
pub mod generating;
pub mod message;
pub mod streaming;
