//! Listeners: one per service, all bound before anything is announced, served by hyper with
//! graceful shutdown. [`start`] is also the library entry point for Rust users who run the
//! mocks inside their own tests: ephemeral ports, base URLs, drop to stop.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::service::{App, DropConnection};
use crate::{Api, Service, ServiceOptions};

/// Where and how to serve.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub bind: IpAddr,
    /// Each service listens on `port_base + offset`; 0 gives every service an ephemeral port.
    pub port_base: u16,
    pub service: ServiceOptions,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port_base: 0,
            service: ServiceOptions::default(),
        }
    }
}

/// Why the services could not start. One line each.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr} for {service}: {source}")]
    Bind {
        service: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("port base {port_base} + offset {offset} for {service} is above 65535")]
    PortOutOfRange {
        service: &'static str,
        port_base: u16,
        offset: u16,
    },
}

/// Running services. Dropping it stops them (connections in flight finish on their own).
#[derive(Debug)]
pub struct Running {
    services: Vec<(Service, SocketAddr)>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// `http://ADDR:PORT` of a service by name.
    pub fn url(&self, name: &str) -> Option<String> {
        self.addr(name).map(|addr| format!("http://{addr}"))
    }

    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        self.services
            .iter()
            .find(|(s, _)| s.name() == name)
            .map(|(_, a)| *a)
    }

    /// In-process control of a service (clock, journal, faults, reset).
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|(s, _)| s.name() == name)
            .map(|(s, _)| s)
    }

    /// Every service's base URL, by name.
    pub fn urls(&self) -> BTreeMap<&'static str, String> {
        self.services
            .iter()
            .map(|(s, addr)| (s.name(), format!("http://{addr}")))
            .collect()
    }

    /// The one line `parkbench serve` prints once every listener is bound.
    pub fn ready_line(&self) -> String {
        serde_json::json!({ "event": "ready", "services": self.urls() }).to_string()
    }

    /// Stops accepting, lets open connections finish (up to five seconds), then returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Binds every API's listener, then serves them all. Nothing is served unless every bind succeeds.
pub async fn start(apis: Vec<Arc<dyn Api>>, options: &ServeOptions) -> Result<Running, ServeError> {
    let mut bound = Vec::with_capacity(apis.len());
    for api in apis {
        let service = Service::new(api, &options.service);
        let port = if options.port_base == 0 {
            0
        } else {
            options.port_base.checked_add(service.port_offset()).ok_or(
                ServeError::PortOutOfRange {
                    service: service.name(),
                    port_base: options.port_base,
                    offset: service.port_offset(),
                },
            )?
        };
        let addr = SocketAddr::new(options.bind, port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind {
                service: service.name(),
                addr,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| ServeError::Bind {
            service: service.name(),
            addr,
            source,
        })?;
        bound.push((service, listener, local));
    }
    let (stop, stopped) = watch::channel(false);
    let mut services = Vec::with_capacity(bound.len());
    let mut tasks = Vec::with_capacity(bound.len());
    for (service, listener, local) in bound {
        tasks.push(tokio::spawn(serve(
            listener,
            service.app(),
            stopped.clone(),
        )));
        services.push((service, local));
    }
    services.sort_by_key(|(s, _)| s.port_offset());
    Ok(Running {
        services,
        stop,
        tasks,
    })
}

/// How every connection is served: HTTP/1.1, or HTTP/2 when the client opens with its preface.
/// HTTP/1.1 answers are written with one plain `write` of a single buffer rather than a
/// vectored write of head and body: a mock's answers are mostly small, and for them copying the
/// body once is cheaper than the kernel's handling of a second segment (about 2% more
/// requests per second in `bench/throughput.sh`; a 10 MiB download takes 2% longer).
pub fn connection_builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().writev(false);
    builder
}

async fn serve(listener: TcpListener, app: App, mut stopped: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    let builder = connection_builder();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                    let app = app.clone();
                    async move {
                        let response = app.respond(request).await;
                        if response.extensions().get::<DropConnection>().is_some() {
                            Err(DropConnection)
                        } else {
                            Ok(response)
                        }
                    }
                });
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection.into_owned());
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                });
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(5)) => {}
    }
}
