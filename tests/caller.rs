//! Calling a target that cannot answer well: each way it fails becomes a named failure, within
//! a bounded time. Every target here is a small server on 127.0.0.1 made by the test.

use actionbench::play::caller::{self, Failure, MAX_ANSWER_BYTES};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server that reads one request and then does `then` with the socket.
async fn server<F, Fut>(then: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let then = std::sync::Arc::new(then);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let then = then.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let _ = s.read(&mut buf).await;
                then(s).await;
            });
        }
    });
    format!("http://{addr}/v1/invoke")
}

async fn post(url: &str, timeout: Duration) -> Result<caller::Answered, Failure> {
    let client = caller::client(timeout);
    tokio::time::timeout(
        timeout + Duration::from_secs(5),
        caller::call(&client, url, "application/json", "{}", timeout),
    )
    .await
    .unwrap_or_else(|_| panic!("the call to {url} did not end within its limit + 5 s"))
}

#[tokio::test]
async fn a_good_answer_comes_back_with_its_status_and_latency() {
    let url = server(|mut s| async move {
        let body = r#"{"result":{}}"#;
        let _ = s
            .write_all(format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len()).as_bytes())
            .await;
    })
    .await;
    let a = post(&url, Duration::from_secs(5)).await.expect("answered");
    assert_eq!(a.status, 200);
    assert_eq!(&a.body[..], br#"{"result":{}}"#);
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn nothing_listening_is_refused() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("addr");
    // The listener is dropped: nothing listens there now.
    let e = post(&format!("http://{addr}/v1/invoke"), Duration::from_secs(5))
        .await
        .expect_err("refused");
    assert!(matches!(e, Failure::Refused(_)), "{e:?}");
    assert!(e.to_string().contains("is your action running"), "{e}");
}

#[tokio::test]
async fn a_slow_target_times_out() {
    let url = server(|s| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    })
    .await;
    let e = post(&url, Duration::from_millis(300))
        .await
        .expect_err("timed out");
    assert_eq!(e, Failure::Timeout(Duration::from_millis(300)));
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let url = server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:1/elsewhere\r\ncontent-length: 0\r\n\r\n")
            .await;
    })
    .await;
    let e = post(&url, Duration::from_secs(5))
        .await
        .expect_err("redirect");
    assert_eq!(
        e,
        Failure::Redirect {
            status: 302,
            location: "http://127.0.0.1:1/elsewhere".into()
        }
    );
}

#[tokio::test]
async fn an_answer_over_1_mib_is_cut_off_with_or_without_a_length() {
    let big = MAX_ANSWER_BYTES + 10;
    let declared = server(move |mut s| async move {
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {big}\r\n\r\n");
        let _ = s.write_all(head.as_bytes()).await;
        let _ = s.write_all(&vec![b'x'; big]).await;
    })
    .await;
    assert_eq!(
        post(&declared, Duration::from_secs(10))
            .await
            .expect_err("too large"),
        Failure::TooLarge
    );
    let chunked = server(move |mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await;
        for _ in 0..20 {
            let chunk = vec![b'y'; 64 * 1024];
            let _ = s
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await;
            let _ = s.write_all(&chunk).await;
            let _ = s.write_all(b"\r\n").await;
        }
        let _ = s.write_all(b"0\r\n\r\n").await;
    })
    .await;
    assert_eq!(
        post(&chunked, Duration::from_secs(10))
            .await
            .expect_err("too large"),
        Failure::TooLarge
    );
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_says_so() {
    let url = server(|s| async move { drop(s) }).await;
    let e = post(&url, Duration::from_secs(5))
        .await
        .expect_err("closed");
    assert!(matches!(e, Failure::Closed(_)), "{e:?}");
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_a_tls_failure() {
    let url = server(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
            .await;
    })
    .await
    .replace("http://", "https://");
    let e = post(&url, Duration::from_secs(5)).await.expect_err("tls");
    assert!(matches!(e, Failure::Tls(_)), "{e:?}");
}

#[tokio::test]
async fn an_unknown_host_is_named() {
    let e = post(
        "http://no-such-host.invalid/v1/invoke",
        Duration::from_secs(5),
    )
    .await
    .expect_err("unknown");
    assert!(matches!(e, Failure::UnknownHost(_)), "{e:?}");
}
