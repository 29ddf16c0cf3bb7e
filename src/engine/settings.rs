//! Settings and the guard: the hosts allowed besides loopback and who may call (Origin,
//! Host), the protocol assumptions, and what JWT verification covers.
//!
//! Methods: `allowed_hosts`, `set_allowed_hosts`, `admit`, `assumptions`, `set_assumptions`,
//! `jwt_summary`, `audience_unchecked`; within the engine `ignores`.

use super::{Arc, Assumptions, Engine, ExtraReport, Reply, ReportRefusal, check_caller};

impl Engine {
    /// Host names allowed besides loopback ones.
    pub fn allowed_hosts(&self) -> Arc<Vec<String>> {
        self.allowed_hosts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_allowed_hosts(&self, hosts: Vec<String>) {
        *self
            .allowed_hosts
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(hosts);
    }

    /// Whether a request with these `Origin` and `Host` headers may reach the inbox; the 403
    /// that says why not (see `guard`).
    pub fn admit(&self, origin: Option<&str>, host: Option<&str>) -> Result<(), Reply> {
        check_caller(origin, host, &self.allowed_hosts())
    }

    /// The protocol assumptions in force.
    pub fn assumptions(&self) -> Assumptions {
        *self.assumptions.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_assumptions(&self, a: Assumptions) {
        *self.assumptions.write().unwrap_or_else(|e| e.into_inner()) = a;
    }

    /// Whether an assumption says to take this refused report with 200 and no effect.
    pub(super) fn ignores(&self, refusal: &ReportRefusal) -> bool {
        let a = self.assumptions();
        match refusal {
            ReportRefusal::AlreadyCompleted => a.second_report == ExtraReport::Ignore,
            ReportRefusal::TimedOut(_) => a.report_after_timeout == ExtraReport::Ignore,
            ReportRefusal::NotWaiting(_) => false,
        }
    }

    /// What a JWT's verification covers, in one line.
    pub fn jwt_summary(&self) -> String {
        self.config.jwt.describe()
    }

    /// Whether JWTs are verified but their audience is not (a public key and no app ID).
    pub fn audience_unchecked(&self) -> bool {
        self.config.jwt.public_key.is_some() && self.config.jwt.app_id.is_none()
    }
}
