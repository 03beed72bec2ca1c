//! The dashboard's websocket (`/admin/ws`), text frames of JSON both ways:
//! - first the page sends `{"name": ..., "password": ...}`; an `admin` account gets
//!   `{"welcome": name, "samples": [...], "log": [...]}`, anyone else `{"error": ...}` and the
//!   socket closes (a wrong password counts against the address and the account, as on the
//!   player ports);
//! - then every second `{"sample": {...}, "log": [...]}` (the log's last lines);
//! - the page may send `{"command": "flush"}` or `{"command": "reload"}`, run as the console
//!   runs them; the answer is `{"reply": text, "ok": bool}`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use serde_json::{Value, json};

use super::Dashboard;
use wasmud_net::net::Players;
use wasmud_world::roles::Role;

/// How long the page has to send the login.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The commands the page may run.
pub const COMMANDS: [&str; 2] = ["flush", "reload"];

/// Log lines sent with each sample.
const LOG_LINES: usize = 30;

fn frame(value: &Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

/// Serves one dashboard connection from `peer` until it closes.
pub async fn serve(
    mut socket: WebSocket,
    peer: IpAddr,
    players: Arc<Players>,
    dashboard: Arc<Dashboard>,
) {
    let login = match tokio::time::timeout(LOGIN_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<Value>(&text).ok(),
        _ => return,
    };
    let name = login
        .as_ref()
        .and_then(|l| l["name"].as_str())
        .unwrap_or_default()
        .to_owned();
    let password = login
        .as_ref()
        .and_then(|l| l["password"].as_str())
        .unwrap_or_default();
    let refusal = match players.log_in(peer, &name, password).await {
        Ok(record) if record.roles.holds(Role::Admin) => None,
        Ok(_) => Some("That account is not an admin.".to_owned()),
        Err(e) => Some(e.to_string()),
    };
    if let Some(refusal) = refusal {
        tracing::info!(%peer, name, "dashboard login refused: {refusal}");
        let _ = socket.send(frame(&json!({ "error": refusal }))).await;
        return;
    }
    tracing::info!(%peer, name, "dashboard opened");
    let mut history = dashboard.history.clone();
    let samples: Vec<super::Sample> = history.borrow_and_update().iter().cloned().collect();
    let welcome = json!({ "welcome": name, "samples": samples, "log": recent_log() });
    if socket.send(frame(&welcome)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            changed = history.changed() => {
                if changed.is_err() {
                    return; // the sampler stopped: the server is going down
                }
                let sample = history.borrow_and_update().back().cloned();
                let update = json!({ "sample": sample, "log": recent_log() });
                if socket.send(frame(&update)).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { return };
                let Message::Text(text) = message else { continue };
                let command = serde_json::from_str::<Value>(&text).ok()
                    .and_then(|v| v["command"].as_str().map(str::to_owned));
                let reply = match command.as_deref() {
                    Some(c) if COMMANDS.contains(&c) => {
                        tracing::info!(%peer, name, command = c, "dashboard command");
                        let reply = crate::console::exec::execute(&dashboard.console, c).await;
                        json!({ "reply": reply.text, "ok": reply.ok })
                    }
                    _ => json!({ "reply": "the dashboard runs flush and reload only", "ok": false }),
                };
                if socket.send(frame(&reply)).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn recent_log() -> Vec<String> {
    let lines = crate::logs::recent();
    lines[lines.len().saturating_sub(LOG_LINES)..].to_vec()
}
