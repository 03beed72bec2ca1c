//! The remote console: an authenticated, line-based TCP admin port, and its client.
//!
//! # Protocol
//! The client's first line is `AUTH <token>`; every later line is one command. The server
//! answers each line with one JSON object on one line: a [`Reply`] (`ok`, `text`, `json`).
//! A wrong or missing token gets one error reply, the attempt is logged, and the connection is
//! closed before any command runs. The token is generated into `<data>/console.token` (mode
//! 0600) on first start; the port binds to 127.0.0.1 by default, and the address it bound is
//! written to `<data>/console.addr` for the client.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::exec::{ConsoleContext, Reply, execute};

/// The token file in the data directory.
pub const TOKEN_FILE: &str = "console.token";
/// The file the server writes its bound admin address to.
pub const ADDR_FILE: &str = "console.addr";
/// The default admin address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4001";
/// Longest command line accepted (a client cannot make the server buffer more).
const MAX_LINE: u64 = 64 * 1024;

/// The admin token of the data directory, created (random, mode 0600) if missing.
///
/// # Errors
/// If the file cannot be read or written.
pub fn ensure_token(data: &Path) -> anyhow::Result<String> {
    let path = data.join(TOKEN_FILE);
    if let Ok(token) = std::fs::read_to_string(&path) {
        let token = token.trim().to_owned();
        if !token.is_empty() {
            return Ok(token);
        }
    }
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .context("read /dev/urandom for the console token")?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("create {}", path.display()))?;
    std::io::Write::write_all(&mut file, format!("{token}\n").as_bytes())?;
    Ok(token)
}

/// Binds the admin port and writes its address to `<data>/console.addr`.
///
/// # Errors
/// If the address cannot be bound or the file written.
pub async fn bind(addr: SocketAddr, data: &Path) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("bind the admin console to {addr}"))?;
    let bound = listener.local_addr()?;
    std::fs::write(data.join(ADDR_FILE), format!("{bound}\n"))?;
    tracing::info!(%bound, "admin console listening");
    Ok(listener)
}

/// Accepts admin connections until the task is dropped.
pub async fn serve(listener: TcpListener, token: String, ctx: ConsoleContext) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let (token, ctx) = (token.clone(), ctx.clone());
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, peer, &token, &ctx).await {
                        tracing::debug!(%peer, "console connection ended: {e}");
                    }
                });
            }
            Err(e) => tracing::warn!("admin console accept failed: {e}"),
        }
    }
}

fn same(a: &str, b: &str) -> bool {
    // Constant time in the token's length: no early exit on the first wrong byte.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    buf: &mut String,
) -> std::io::Result<usize> {
    buf.clear();
    let n = reader.take(MAX_LINE + 1).read_line(buf).await?;
    if buf.len() as u64 > MAX_LINE {
        return Err(std::io::Error::other("line too long"));
    }
    Ok(n)
}

async fn send(writer: &mut tokio::net::tcp::OwnedWriteHalf, reply: &Reply) -> std::io::Result<()> {
    let mut line = serde_json::to_string(reply).map_err(std::io::Error::other)?;
    line.push('\n');
    writer.write_all(line.as_bytes()).await
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    token: &str,
    ctx: &ConsoleContext,
) -> std::io::Result<()> {
    let (read, mut writer) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    read_line(&mut reader, &mut line).await?;
    let offered = line.trim().strip_prefix("AUTH ").map(str::trim);
    if !offered.is_some_and(|t| same(t, token)) {
        tracing::warn!(%peer, "admin console: authentication failed (wrong or missing token)");
        let reply = Reply::error(
            "authentication failed: wrong or missing token",
            "use the token in <data>/console.token",
        );
        return send(&mut writer, &reply).await;
    }
    tracing::info!(%peer, "admin console: client authenticated");
    send(&mut writer, &Reply::message("authenticated")).await?;
    serve_commands(reader, writer, ctx).await
}

async fn serve_commands(
    mut reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    ctx: &ConsoleContext,
) -> std::io::Result<()> {
    let mut line = String::new();
    loop {
        if read_line(&mut reader, &mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim();
        if command.is_empty() {
            continue;
        }
        let reply = execute(ctx, command).await;
        send(&mut writer, &reply).await?;
    }
}

/// A connection to a server's admin port.
pub struct Client {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
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
