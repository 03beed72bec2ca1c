//! The client side of the admin port, used by `wasmud console`: connect, authenticate, then
//! one command line out and one [`Reply`] back at a time.

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpStream, UnixStream};

use super::ConsoleAddr;
use crate::console::exec::Reply;

/// A connection to a server's admin port.
pub struct Client {
    reader: BufReader<Box<dyn AsyncRead + Unpin + Send>>,
    writer: Box<dyn AsyncWrite + Unpin + Send>,
}

impl Client {
    /// Connects to `addr` (`host:port` or `unix:<path>`) and authenticates.
    ///
    /// # Errors
    /// If the server cannot be reached or refuses the token.
    pub async fn connect(addr: &str, token: &str) -> anyhow::Result<Client> {
        let addr: ConsoleAddr = addr.parse().map_err(anyhow::Error::msg)?;
        let context = || format!("connect to the admin console at {addr}");
        let (read, writer): (
            Box<dyn AsyncRead + Unpin + Send>,
            Box<dyn AsyncWrite + Unpin + Send>,
        ) = match &addr {
            ConsoleAddr::Tcp(a) => {
                let (r, w) = TcpStream::connect(a)
                    .await
                    .with_context(context)?
                    .into_split();
                (Box::new(r), Box::new(w))
            }
            ConsoleAddr::Unix(path) => {
                let (r, w) = UnixStream::connect(path)
                    .await
                    .with_context(context)?
                    .into_split();
                (Box::new(r), Box::new(w))
            }
        };
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
