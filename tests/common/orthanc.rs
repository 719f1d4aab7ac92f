//! A throw-away Orthanc PACS (with its DICOMweb plugin, and its DICOM port for DIMSE) for
//! one test: free loopback ports, a private storage folder, stopped and removed when
//! dropped. C-FIND and C-GET are allowed from any calling AE title, and Orthanc runs with
//! `TCP_NODELAY=1` (Debian's DCMTK otherwise waits for delayed ACKs on every message).
//!
//! `scripts/test` installs Debian's `orthanc` and `orthanc-dicomweb` when missing; a test
//! run without them fails with a message saying so (never a silent skip).

use oncoread_pipeline::dicomweb::Auth;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PLUGIN: &str = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

pub struct Orthanc {
    process: Child,
    dir: PathBuf,
    pub http_port: u16,
    pub dicom_port: u16,
    /// HTTP basic credentials when authentication is on.
    pub credentials: Option<(String, String)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Orthanc {
    /// Starts Orthanc; `credentials` turns HTTP basic authentication on.
    pub fn start(dir: &Path, credentials: Option<(&str, &str)>) -> Orthanc {
        let binary = ["/usr/sbin/Orthanc", "/usr/bin/Orthanc"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        let (Some(binary), true) = (binary, Path::new(PLUGIN).exists()) else {
            panic!(
                "Orthanc with its DICOMweb plugin is needed: run scripts/test (it installs \
                 them), or apt-get install orthanc orthanc-dicomweb"
            );
        };
        std::fs::create_dir_all(dir).unwrap();
        let http_port = free_port();
        let dicom_port = free_port();
        let auth = match credentials {
            Some((user, password)) => format!(
                "\"AuthenticationEnabled\": true, \"RegisteredUsers\": {{\"{user}\": \"{password}\"}},"
            ),
            None => "\"AuthenticationEnabled\": false,".to_string(),
        };
        let config = format!(
            r#"{{
  "Name": "ONCOREADTEST",
  "StorageDirectory": "{storage}",
  "IndexDirectory": "{storage}",
  "Plugins": ["{PLUGIN}"],
  "HttpPort": {http_port},
  "DicomPort": {dicom_port},
  "DicomAet": "ONCOREADTEST",
  "RemoteAccessAllowed": false,
  {auth}
  "HttpDescribeErrors": true,
  "UnknownSopClassAccepted": true,
  "DicomCheckCalledAet": false,
  "DicomAlwaysAllowFind": true,
  "DicomAlwaysAllowGet": true,
  "SaveJobs": false,
  "DicomWeb": {{"Enable": true, "Root": "/dicom-web/", "StudiesMetadata": "Full", "SeriesMetadata": "Full"}}
}}"#,
            storage = dir.join("db").display()
        );
        let config_path = dir.join("orthanc.json");
        std::fs::write(&config_path, config).unwrap();
        let mut orthanc = Orthanc {
            process: spawn(binary, dir),
            dir: dir.to_path_buf(),
            http_port,
            dicom_port,
            credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
        };
        orthanc.wait_until_ready();
        orthanc
    }

    /// Starts the stopped server again: same storage, same ports, so the same URL.
    pub fn restart(&mut self) {
        self.kill();
        let binary = ["/usr/sbin/Orthanc", "/usr/bin/Orthanc"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("Orthanc was found at start");
        self.process = spawn(binary, &self.dir);
        self.wait_until_ready();
    }

    /// Restarts the server with C-GET from unknown AE titles allowed or refused (a PACS
    /// that answers queries but will not send instances).
    pub fn allow_get(&mut self, allow: bool) {
        let path = self.dir.join("orthanc.json");
        let config = std::fs::read_to_string(&path).unwrap();
        let (from, to) = if allow {
            (
                "\"DicomAlwaysAllowGet\": false",
                "\"DicomAlwaysAllowGet\": true",
            )
        } else {
            (
                "\"DicomAlwaysAllowGet\": true",
                "\"DicomAlwaysAllowGet\": false",
            )
        };
        std::fs::write(&path, config.replace(from, to)).unwrap();
        self.restart();
    }

    /// Restarts the server answering at most `limit` C-FIND results at the patient, study
    /// and series levels (Orthanc's `LimitFindResults`; it ends a cropped list with
    /// status FE00H), as PACS with a result cap do.
    pub fn limit_find_results(&mut self, limit: u32) {
        let path = self.dir.join("orthanc.json");
        let config = std::fs::read_to_string(&path).unwrap();
        let config = config.replace(
            "\"SaveJobs\": false,",
            &format!("\"LimitFindResults\": {limit},\n  \"SaveJobs\": false,"),
        );
        std::fs::write(&path, config).unwrap();
        self.restart();
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.process.try_wait() {
                panic!("Orthanc exited ({status}); log:\n{}", self.log());
            }
            if self.get("system").is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("Orthanc not ready after 30 s; log:\n{}", self.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("orthanc.log")).unwrap_or_default()
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// The PACS over DIMSE as `oncoread` takes it.
    pub fn dimse(&self) -> String {
        format!("dimse:ONCOREADTEST@127.0.0.1:{}", self.dicom_port)
    }

    /// The DICOMweb root as `oncoread` takes it.
    pub fn dicomweb(&self) -> String {
        format!("{}/dicom-web", self.url())
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let mut request = ureq::request(method, &format!("{}/{path}", self.url()));
        if let Some((user, password)) = &self.credentials {
            let auth = Auth::Basic {
                user: user.clone(),
                password: password.clone(),
            };
            if let Some(header) = auth.authorization_header() {
                request = request.set("Authorization", &header);
            }
        }
        request
    }

    pub fn get(&self, path: &str) -> Result<String, Box<ureq::Error>> {
        let response = self.request("GET", path).call().map_err(Box::new)?;
        Ok(response.into_string().unwrap_or_default())
    }

    /// Stores the files with one STOW-RS request (multipart/related of application/dicom).
    pub fn stow(&self, files: &[PathBuf]) {
        let boundary = "oncoread-test-boundary-5e1f";
        let mut body = Vec::new();
        for file in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Type: application/dicom\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(&std::fs::read(file).unwrap());
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let response = self
            .request("POST", "dicom-web/studies")
            .set(
                "Content-Type",
                &format!("multipart/related; type=\"application/dicom\"; boundary={boundary}"),
            )
            .set("Accept", "application/dicom+json")
            .send_bytes(&body)
            .unwrap_or_else(|e| panic!("STOW-RS of {} files failed: {e}", files.len()));
        let text = response.into_string().unwrap();
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        // Failed SOP Sequence (0008,1198): present but empty when everything was stored.
        let failed = answer["00081198"]["Value"].as_array().map_or(0, Vec::len);
        assert_eq!(failed, 0, "STOW-RS refused some instances: {text}");
    }

    /// Stops the server at once (its folder is thrown away).
    pub fn kill(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for Orthanc {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn spawn(binary: &str, dir: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("orthanc.log"))
        .unwrap();
    Command::new(binary)
        .arg(dir.join("orthanc.json"))
        .env("TCP_NODELAY", "1")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .expect("Orthanc starts")
}

pub use super::files_under;
