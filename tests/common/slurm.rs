//! A throw-away one-node Slurm cluster for the tests: munged, slurmctld and slurmd started
//! as plain processes (no systemd, no cgroups, no accounting database), their state, logs
//! and munge key in a private folder, on free loopback ports; stopped by pid when dropped.
//!
//! Needs Debian's `slurm-wlm` and `munge` (scripts/test installs them) and root (the
//! daemons run as SlurmUser=root, as in a CI container).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Slurm {
    dir: PathBuf,
    conf: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn require(binary: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(binary).is_file()))
        .unwrap_or(false)
        || Path::new("/usr/sbin").join(binary).is_file();
    assert!(
        found,
        "{binary} not found: the Slurm tests need Debian's slurm-wlm and munge; run scripts/test \
         (it installs them) or apt-get install -y --no-install-recommends slurm-wlm munge"
    );
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn sbin(binary: &str) -> PathBuf {
    let system = Path::new("/usr/sbin").join(binary);
    if system.is_file() {
        system
    } else {
        PathBuf::from(binary)
    }
}

/// Memory of this machine in MB (the node's RealMemory; slurmd refuses a node that
/// claims more than it has).
fn memory_mb() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(1 << 20);
    kb / 1024 * 8 / 10
}

impl Slurm {
    /// Starts the three daemons with their state under `dir` (a new, empty folder) and
    /// waits until the node is idle (about a second here).
    pub fn start(dir: &Path) -> Slurm {
        for binary in [
            "munged",
            "slurmctld",
            "slurmd",
            "sbatch",
            "squeue",
            "scontrol",
            "sinfo",
        ] {
            require(binary);
        }
        let dir = dir.to_path_buf();
        for sub in ["munge-key", "munge-run", "ctld", "d", "log", "run"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // munged checks modes: the key private, the socket's folder open to all.
        set_mode(&dir, 0o755);
        set_mode(&dir.join("munge-key"), 0o700);
        set_mode(&dir.join("munge-run"), 0o755);
        let key = dir.join("munge-key/munge.key");
        let mut random = [0u8; 1024];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut random))
            .expect("random bytes for the munge key");
        std::fs::write(&key, random).unwrap();
        set_mode(&key, 0o400);
        let socket = dir.join("munge-run/munge.sock");
        run(Command::new(sbin("munged"))
            .arg("-f") // as root
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!(
                "--pid-file={}",
                dir.join("munge-run/munged.pid").display()
            ))
            .arg(format!(
                "--log-file={}",
                dir.join("log/munged.log").display()
            ))
            .arg(format!(
                "--seed-file={}",
                dir.join("munge-key/munged.seed").display()
            )));

        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let d = dir.display();
        let conf_text = format!(
            "ClusterName=ci\n\
             SlurmctldHost=localhost\n\
             SlurmctldPort={ctld}\n\
             SlurmdPort={slurmd}\n\
             SlurmUser=root\n\
             SlurmdUser=root\n\
             AuthType=auth/munge\n\
             CredType=cred/munge\n\
             AuthInfo=socket={socket}\n\
             StateSaveLocation={d}/ctld\n\
             SlurmdSpoolDir={d}/d\n\
             SlurmctldPidFile={d}/run/slurmctld.pid\n\
             SlurmdPidFile={d}/run/slurmd.pid\n\
             SlurmctldLogFile={d}/log/slurmctld.log\n\
             SlurmdLogFile={d}/log/slurmd.log\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             JobAcctGatherType=jobacct_gather/none\n\
             AccountingStorageType=accounting_storage/none\n\
             JobCompType=jobcomp/none\n\
             SwitchType=switch/none\n\
             MpiDefault=none\n\
             SchedulerType=sched/backfill\n\
             SchedulerParameters=bf_interval=1,sched_min_interval=0,batch_sched_delay=0\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_Core\n\
             ReturnToService=2\n\
             SlurmctldTimeout=30\n\
             SlurmdTimeout=30\n\
             InactiveLimit=0\n\
             MinJobAge=300\n\
             KillWait=5\n\
             Waittime=0\n\
             NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN\n\
             PartitionName=batch Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO\n",
            ctld = free_port(),
            slurmd = free_port(),
            socket = socket.display(),
            memory = memory_mb(),
        );
        let conf = dir.join("slurm.conf");
        std::fs::write(&conf, conf_text).unwrap();
        let slurm = Slurm { dir, conf };
        // Both daemonize and write their pid files; -i: no saved state to recover.
        run(Command::new(sbin("slurmctld"))
            .arg("-i")
            .arg("-f")
            .arg(&slurm.conf));
        run(Command::new(sbin("slurmd"))
            .args(["-N", "localhost", "-f"])
            .arg(&slurm.conf));
        slurm.wait_until_idle();
        slurm
    }

    fn wait_until_idle(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let state = self.command("sinfo").args(["-h", "-o", "%T"]).output();
            if let Ok(output) = state {
                if String::from_utf8_lossy(&output.stdout).trim() == "idle" {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "Slurm's node is not idle after 30 s; logs:\n{}",
            self.logs()
        );
    }

    /// A Slurm client command (or any command) that talks to this cluster.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env("SLURM_CONF", &self.conf);
        command
    }

    /// The daemons' logs, for failure messages.
    pub fn logs(&self) -> String {
        ["munged", "slurmctld", "slurmd"]
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(self.dir.join(format!("log/{name}.log")))
                    .unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(20).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("== {name}.log\n{}\n", tail.join("\n"))
            })
            .collect()
    }

    /// Waits until none of `jobs` is queued or running any more (polling squeue: `sbatch
    /// --wait` sleeps in steps of up to 32 s).
    pub fn wait_for(&self, jobs: &[String], timeout: Duration) {
        let list = jobs.join(",");
        let deadline = Instant::now() + timeout;
        loop {
            let output = run(self.command("squeue").args(["-h", "-j", &list]));
            if output.stdout.iter().all(u8::is_ascii_whitespace) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "jobs {list} still queued after {timeout:?}:\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `JobState` and `Reason` of a job (each task of an array), from `scontrol show job`.
    pub fn job_states(&self, job: &str) -> Vec<(String, String)> {
        let output = run(self.command("scontrol").args(["show", "job", "-o", job]));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| {
                let field = |name: &str| {
                    line.split_whitespace()
                        .find_map(|f| f.strip_prefix(name))
                        .unwrap_or("")
                        .to_string()
                };
                (field("JobState="), field("Reason="))
            })
            .collect()
    }

    fn pid(&self, file: &str) -> Option<u32> {
        std::fs::read_to_string(self.dir.join(file))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

impl Drop for Slurm {
    fn drop(&mut self) {
        let daemons: Vec<u32> = ["run/slurmctld.pid", "run/slurmd.pid"]
            .iter()
            .filter_map(|f| self.pid(f))
            .collect();
        let _ = self.command("scontrol").arg("shutdown").output();
        let deadline = Instant::now() + Duration::from_secs(10);
        while daemons.iter().any(|p| alive(*p)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let munged = self.pid("munge-run/munged.pid");
        for pid in daemons.into_iter().chain(munged) {
            if alive(pid) {
                let _ = Command::new("kill").arg(pid.to_string()).output();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
