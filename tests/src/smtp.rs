//! A local SMTP sink: speaks enough SMTP for a real client (lettre) to deliver to it, keeps every
//! message, parses it with `mail-parser`, and can refuse the next deliveries with a temporary
//! error to stand in for a mail server outage.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// A message the sink accepted.
#[derive(Debug, Clone)]
pub struct Mail {
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// The text part, decoded.
    pub text: String,
    /// The HTML part, decoded.
    pub html: String,
}

impl Mail {
    /// The `…/links/<token>` URLs in the text part, in order.
    pub fn links(&self) -> Vec<String> {
        self.text
            .split_whitespace()
            .filter(|w| w.contains("/links/"))
            .map(str::to_owned)
            .collect()
    }
}

#[derive(Default)]
struct Inner {
    mails: Vec<Mail>,
    refuse: usize,
    refused: usize,
}

/// The sink; `url` is its `COUNTERSIGN_SMTP_URL`.
#[derive(Clone)]
pub struct SmtpSink {
    /// `smtp://127.0.0.1:<port>`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    arrived: Arc<Notify>,
}

impl SmtpSink {
    /// Listens on a free port.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let sink = SmtpSink {
            url,
            inner: Arc::default(),
            arrived: Arc::default(),
        };
        let serving = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = serving.clone();
                tokio::spawn(async move {
                    let _ = sink.session(stream).await;
                });
            }
        });
        sink
    }

    /// Refuses the next `n` messages with `451` (try again later).
    pub fn refuse_next(&self, n: usize) {
        self.inner.lock().unwrap().refuse = n;
    }

    /// How many messages were refused.
    pub fn refused(&self) -> usize {
        self.inner.lock().unwrap().refused
    }

    /// Every message accepted so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.inner.lock().unwrap().mails.clone()
    }

    /// Waits until at least `n` messages arrived (bounded by the scenario's limit).
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        loop {
            // Registered before the check, so an arrival in between is not missed.
            let notified = self.arrived.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let mails = self.mails();
            if mails.len() >= n {
                return mails;
            }
            notified.await;
        }
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 sink ESMTP\r\n").await?;
        let mut to = Vec::new();
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                write
                    .write_all(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                    .await?;
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                write.write_all(b"250 OK\r\n").await?;
            } else if upper.starts_with("MAIL FROM") || upper.starts_with("RSET") {
                to.clear();
                write.write_all(b"250 OK\r\n").await?;
            } else if upper.starts_with("RCPT TO:") {
                let address = line[8..]
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned();
                to.push(address);
                write.write_all(b"250 OK\r\n").await?;
            } else if upper == "DATA" {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut data = String::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    let line = line.strip_prefix('.').map_or(line.as_str(), |l| l);
                    data.push_str(line);
                    data.push_str("\r\n");
                }
                let refuse = {
                    let mut inner = self.inner.lock().unwrap();
                    if inner.refuse > 0 {
                        inner.refuse -= 1;
                        inner.refused += 1;
                        true
                    } else {
                        false
                    }
                };
                if refuse {
                    write
                        .write_all(b"451 4.3.0 temporarily unavailable\r\n")
                        .await?;
                    continue;
                }
                let parsed = mail_parser::MessageParser::default().parse(data.as_bytes());
                let mail = Mail {
                    to: std::mem::take(&mut to),
                    subject: parsed
                        .as_ref()
                        .and_then(|m| m.subject())
                        .unwrap_or_default()
                        .to_owned(),
                    text: parsed
                        .as_ref()
                        .and_then(|m| m.body_text(0))
                        .unwrap_or_default()
                        .into_owned(),
                    html: parsed
                        .as_ref()
                        .and_then(|m| m.body_html(0))
                        .unwrap_or_default()
                        .into_owned(),
                };
                self.inner.lock().unwrap().mails.push(mail);
                self.arrived.notify_waiters();
                write.write_all(b"250 OK queued\r\n").await?;
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await?;
                break;
            } else {
                write.write_all(b"502 not implemented\r\n").await?;
            }
        }
        Ok(())
    }
}
