//! The client side of the admin port, used by `wasmud console`: connect, authenticate, then
//! one command line out and one [`Reply`] back at a time.

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::console::exec::Reply;

/// A connection to a server's admin port.
pub struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Client {
    /// Connects and authenticates.
    ///
    /// # Errors
    /// If the server cannot be reached or refuses the token.
    pub async fn connect(addr: &str, token: &str) -> anyhow::Result<Client> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect to the admin console at {addr}"))?;
        let (read, writer) = stream.into_split();
        let mut client = Client {
            reader: BufReader::new(read),
            writer,
        };
        let reply = client.send(&format!("AUTH {token}")).await?;
        if !reply.ok {
            anyhow::bail!("{}", reply.text);
        }
        Ok(client)
    }

    /// Sends one command line and returns the reply.
    ///
    /// # Errors
    /// If the connection fails.
    pub async fn send(&mut self, line: &str) -> anyhow::Result<Reply> {
        self.writer
            .write_all(format!("{line}\n").as_bytes())
            .await?;
        let mut buf = String::new();
        if self.reader.read_line(&mut buf).await? == 0 {
            anyhow::bail!("the server closed the connection");
        }
        serde_json::from_str(&buf).context("malformed reply from the server")
    }
}
