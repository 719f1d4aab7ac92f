//! A small DICOMweb client: QIDO-RS and WADO-RS GETs with authentication, timeouts and
//! retries with backoff, counting requests and bytes (the incremental tests count them).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::multipart;
use super::DicomWebError;

/// How requests authenticate. Credentials come from the environment, never from a file.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Basic { user: String, password: String },
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    // Never print a secret, not even in a debug dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Basic { user, .. } => write!(f, "Auth::Basic({user}, ***)"),
            Auth::Bearer(_) => f.write_str("Auth::Bearer(***)"),
        }
    }
}

impl Auth {
    /// From `{PREFIX}_TOKEN` (a bearer token), else `{PREFIX}_USER` and `{PREFIX}_PASSWORD`
    /// (HTTP basic), else none. The default prefix is `ONCOREAD_DICOMWEB`.
    pub fn from_env(prefix: &str) -> Result<Auth, DicomWebError> {
        let get = |name: &str| std::env::var(format!("{prefix}_{name}")).ok();
        if let Some(token) = get("TOKEN").filter(|t| !t.is_empty()) {
            return Ok(Auth::Bearer(token));
        }
        match (get("USER"), get("PASSWORD")) {
            (Some(user), Some(password)) => Ok(Auth::Basic { user, password }),
            (None, None) => Ok(Auth::None),
            _ => Err(DicomWebError::Config(format!(
                "set both {prefix}_USER and {prefix}_PASSWORD (or {prefix}_TOKEN)"
            ))),
        }
    }

    /// The value of the `Authorization` header, if any.
    pub fn authorization_header(&self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Basic { user, password } => Some(format!(
                "Basic {}",
                base64(format!("{user}:{password}").as_bytes())
            )),
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The whole request (connect, send, receive).
    pub timeout: Duration,
    /// Further attempts after a failure that may pass (connection errors, 5xx, 429).
    pub retries: u32,
    /// The first wait before a retry; doubled at each further attempt.
    pub backoff: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(250),
        }
    }
}

/// The largest response body read (a whole series' metadata can be tens of megabytes).
const MAX_BODY: u64 = 2 << 30;

pub struct Client {
    base: String,
    auth_header: Option<String>,
    agent: ureq::Agent,
    options: ClientOptions,
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl Client {
    /// A client of the DICOMweb service at `base` (e.g. `http://127.0.0.1:8042/dicom-web`).
    pub fn new(base: &str, auth: Auth, options: ClientOptions) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(options.timeout.min(Duration::from_secs(10)))
            .timeout(options.timeout)
            .build();
        Client {
            base: base.trim_end_matches('/').to_string(),
            auth_header: auth.authorization_header(),
            agent,
            options,
            requests: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Requests sent so far (retries included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Response bytes received so far, as transferred (compressed when the server
    /// compressed them).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// GETs `{base}/{path}` as DICOM JSON (an array of data sets).
    pub fn get_json(&self, path: &str) -> Result<Vec<Value>, DicomWebError> {
        let url = self.url(path);
        let (_, body) = self.get(&url, "application/dicom+json")?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new()); // 204 No Content, or an empty body: no matches
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(_) => Err(DicomWebError::Response {
                url,
                reason: "expected a JSON array of data sets".into(),
            }),
            Err(e) => Err(DicomWebError::Response {
                url,
                reason: format!("not JSON: {e}"),
            }),
        }
    }

    /// GETs one instance (WADO-RS) as its Part 10 bytes, in any transfer syntax.
    pub fn get_instance(
        &self,
        study: &str,
        series: &str,
        instance: &str,
    ) -> Result<Vec<u8>, DicomWebError> {
        let url = self.url(&format!(
            "studies/{study}/series/{series}/instances/{instance}"
        ));
        let (content_type, body) = self.get(
            &url,
            "multipart/related; type=\"application/dicom\"; transfer-syntax=*",
        )?;
        let response_error = |reason: String| DicomWebError::Response {
            url: url.clone(),
            reason,
        };
        let boundary =
            multipart::boundary(&content_type).map_err(|e| response_error(e.to_string()))?;
        let parts =
            multipart::parts(&body, &boundary).map_err(|e| response_error(e.to_string()))?;
        match parts.as_slice() {
            [one] => Ok(one.to_vec()),
            other => Err(response_error(format!(
                "expected one instance, found {} parts",
                other.len()
            ))),
        }
    }

    /// STOW-RS: POSTs the Part 10 files to `{base}/{path}` as one multipart/related body
    /// of application/dicom parts; returns the status and the DICOM JSON answer (an
    /// object: the stored and the failed instances).
    pub fn post_instances(
        &self,
        path: &str,
        files: &[&[u8]],
    ) -> Result<(u16, Value), DicomWebError> {
        let url = self.url(path);
        let boundary = multipart::new_boundary(files);
        let body = multipart::related_body(files, &boundary);
        let content_type =
            format!("multipart/related; type=\"application/dicom\"; boundary={boundary}");
        let (status, _, answer) =
            self.send(&url, "application/dicom+json", Some((&content_type, &body)))?;
        if answer.iter().all(u8::is_ascii_whitespace) {
            return Ok((status, Value::Null));
        }
        serde_json::from_slice(&answer)
            .map(|json| (status, json))
            .map_err(|e| DicomWebError::Response {
                url,
                reason: format!("not JSON: {e}"),
            })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// One GET with retries; returns the content type and the body.
    fn get(&self, url: &str, accept: &str) -> Result<(String, Vec<u8>), DicomWebError> {
        self.send(url, accept, None)
            .map(|(_, content_type, body)| (content_type, body))
    }

    /// One request with retries: a GET, or a POST of `(content type, body)`. Returns the
    /// HTTP status, the content type and the body.
    fn send(
        &self,
        url: &str,
        accept: &str,
        post: Option<(&str, &[u8])>,
    ) -> Result<(u16, String, Vec<u8>), DicomWebError> {
        let mut attempt = 0;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            // JSON metadata shrinks twenty-fold or more with gzip; most servers offer it.
            let method = if post.is_some() { "POST" } else { "GET" };
            let mut request = self
                .agent
                .request(method, url)
                .set("Accept", accept)
                .set("Accept-Encoding", "gzip");
            if let Some(auth) = &self.auth_header {
                request = request.set("Authorization", auth);
            }
            let outcome = match post {
                Some((content_type, body)) => {
                    request.set("Content-Type", content_type).send_bytes(body)
                }
                None => request.call(),
            };
            let failure = match outcome {
                Ok(response) => {
                    let status = response.status();
                    match read_body(response) {
                        Ok((content_type, body, wire_bytes)) => {
                            self.bytes.fetch_add(wire_bytes, Ordering::Relaxed);
                            return Ok((status, content_type, body));
                        }
                        Err(e) => format!("reading the response: {e}"),
                    }
                }
                Err(ureq::Error::Status(status @ (401 | 403), _)) => {
                    return Err(DicomWebError::Auth {
                        url: url.to_string(),
                        status,
                    })
                }
                Err(ureq::Error::Status(status, response)) if status != 429 && status < 500 => {
                    let body = response.into_string().unwrap_or_default();
                    return Err(DicomWebError::Status {
                        url: url.to_string(),
                        status,
                        body: body.chars().take(200).collect(),
                    });
                }
                Err(ureq::Error::Status(status, _)) => format!("HTTP {status}"),
                Err(ureq::Error::Transport(transport)) => transport.to_string(),
            };
            if attempt >= self.options.retries {
                return Err(DicomWebError::Transport {
                    url: url.to_string(),
                    reason: format!("{failure} (after {} attempts)", attempt + 1),
                });
            }
            std::thread::sleep(self.options.backoff * 2u32.saturating_pow(attempt));
            attempt += 1;
        }
    }
}

/// The content type, the body (gunzipped when the server compressed it) and the bytes
/// that came over the wire.
fn read_body(response: ureq::Response) -> std::io::Result<(String, Vec<u8>, u64)> {
    use std::io::Read;
    let content_type = response.header("Content-Type").unwrap_or("").to_string();
    let gzipped = response
        .header("Content-Encoding")
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("gzip"));
    let mut wire = Vec::new();
    response
        .into_reader()
        .take(MAX_BODY)
        .read_to_end(&mut wire)?;
    let wire_bytes = wire.len() as u64;
    if !gzipped {
        return Ok((content_type, wire, wire_bytes));
    }
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(wire.as_slice())
        .take(MAX_BODY)
        .read_to_end(&mut body)?;
    Ok((content_type, body, wire_bytes))
}

/// Standard base64 (RFC 4648) with padding, for the basic-auth header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= n {
                out.push(ALPHABET[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn base64_of_rfc4648_test_vectors() -> TestResult {
        // RFC 4648 §10.
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
        // `curl -u ci:ci-secret` sends this header.
        assert_eq!(
            Auth::Basic {
                user: "ci".into(),
                password: "ci-secret".into()
            }
            .authorization_header()
            .ok_or("Basic credentials give an Authorization header")?,
            "Basic Y2k6Y2ktc2VjcmV0"
        );
        Ok(())
    }

    #[test]
    fn secrets_never_show_in_debug_output() -> TestResult {
        let basic = Auth::Basic {
            user: "ci".into(),
            password: "ci-secret".into(),
        };
        assert!(!format!("{basic:?}").contains("ci-secret"));
        assert!(!format!("{:?}", Auth::Bearer("tok".into())).contains("tok"));
        Ok(())
    }
}
