//! The bare hyper reference server of `cargo xtask bench read-path`: hyper 1 on tokio's
//! multi-threaded runtime (one worker a core, as nimbus runs), HTTP/1.1 keep-alive, every
//! request's body read and answered with the same fixed 690-byte XML body. What the
//! machine can do for a small answer; each row of the bench prints its ratio to it.
//! Run as `xtask bare-hyper PORT` (the bench starts it so, from its own executable).

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use crate::Result;

/// The fixed answer: 690 bytes, the size of nimbus's DescribeVpcs answer for one VPC.
pub const BODY_LEN: usize = 690;

fn body() -> Bytes {
    let head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>00000000-0000-0000-0000-000000000000</requestId><vpcSet><item><vpcId>vpc-00000000000000000</vpcId><cidrBlock>172.31.0.0/16</cidrBlock><state>available</state>";
    let tail = "</item></vpcSet></DescribeVpcsResponse>";
    let pad = BODY_LEN - head.len() - tail.len();
    let mut s = String::with_capacity(BODY_LEN);
    s.push_str(head);
    s.push_str("<isDefault>true</isDefault><tagSet/>");
    while s.len() < head.len() + pad {
        s.push(' ');
    }
    s.truncate(head.len() + pad);
    s.push_str(tail);
    Bytes::from(s)
}

pub fn run(args: &[String]) -> Result {
    let port: u16 = args.first().and_then(|p| p.parse().ok()).ok_or("usage: xtask bare-hyper PORT")?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(serve(SocketAddr::from(([127, 0, 0, 1], port))))
}

async fn serve(addr: SocketAddr) -> Result {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| e.to_string())?;
    let answer = body();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let _ = stream.set_nodelay(true);
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
                let answer = answer.clone();
                async move {
                    // Read the request body as a server must before answering.
                    let _ = req.into_body().collect().await;
                    let mut response = http::Response::new(Full::new(answer));
                    response
                        .headers_mut()
                        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/xml;charset=UTF-8"));
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_answer_is_690_bytes() {
        assert_eq!(super::body().len(), super::BODY_LEN);
    }
}
