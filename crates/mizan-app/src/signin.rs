//! Signing in and public forms, throttled ([`crate::throttle`]).
//!
//! A sign-in is refused at once, without checking the password, while the account (the
//! e-mail address as typed) or the client's address must wait; a failure counts against both.
//! The answer is the same for an existing and an unknown account: both are counted and
//! throttled alike, and both spend one password hash. A lockout is written to the security
//! events table (not the public events log, which would publish who is being attacked).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use mizan_store::User;

use crate::passwords::verify_password;
use crate::throttle::{Clock, Counted, Policy, Throttle};
use crate::{Error, Platform};

/// The platform's throttles.
#[derive(Debug)]
pub struct Guards {
    accounts: Throttle,
    addresses: Throttle,
    forms: Throttle,
    /// A password hash checked when an e-mail is unknown, so sign-in takes the same time.
    dummy_hash: String,
}

impl Guards {
    /// Throttles reading time from `clock`; an address may submit `form_free` public forms
    /// before it waits (`Limits::public_form_free`).
    #[must_use]
    pub fn new(clock: &Arc<dyn Clock>, form_free: u32) -> Guards {
        Guards {
            accounts: Throttle::new(Policy::ACCOUNT, Arc::clone(clock)),
            addresses: Throttle::new(Policy::ADDRESS, Arc::clone(clock)),
            forms: Throttle::new(Policy { free: form_free, ..Policy::PUBLIC_FORM }, Arc::clone(clock)),
            dummy_hash: crate::passwords::hash_password("not a real password").unwrap_or_default(),
        }
    }
}

/// How a sign-in ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// The password was right.
    Welcome(User),
    /// Wrong e-mail or password (the same answer for both).
    Refused,
    /// Too many failures: try again after this long.
    Throttled(Duration),
}

fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

fn address_text(from: Option<IpAddr>) -> String {
    from.map(|a| a.to_string()).unwrap_or_default()
}

impl Platform {
    /// Checks `password` for `email`, signing in from `from` (the client's address, if known).
    ///
    /// # Errors
    /// Database errors.
    pub async fn sign_in(&self, email: &str, password: &str, from: Option<IpAddr>) -> Result<SignIn, Error> {
        let account = account_key(email);
        let address = address_text(from);
        let guards = self.guards();
        let wait = [guards.accounts.wait(&account), from.and_then(|_| guards.addresses.wait(&address))]
            .into_iter()
            .flatten()
            .max();
        if let Some(wait) = wait {
            return Ok(SignIn::Throttled(wait));
        }
        let found = self.store().user_for_login(email).await?;
        let (hash, user) = match found {
            Some((user, hash)) => (hash, Some(user)),
            None => (guards.dummy_hash.clone(), None),
        };
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?;
        if let (true, Some(user)) = (ok, user) {
            guards.accounts.clear(&account);
            return Ok(SignIn::Welcome(user));
        }
        if let Counted::LockedOut(d) = guards.accounts.count(&account) {
            let detail =
                format!("{} wrong passwords; locked for {} s", Policy::ACCOUNT.lockout_after, d.as_secs());
            self.store().record_security_event("sign-in-lockout", &account, &address, &detail).await?;
            tracing::warn!(account = %account, address = %address, "sign-in locked out");
        }
        if from.is_some()
            && let Counted::LockedOut(d) = guards.addresses.count(&address)
        {
            let detail = format!(
                "{} wrong passwords from this address; locked for {} s",
                Policy::ADDRESS.lockout_after,
                d.as_secs()
            );
            self.store().record_security_event("address-lockout", "", &address, &detail).await?;
            tracing::warn!(address = %address, "sign-in locked out for an address");
        }
        Ok(SignIn::Refused)
    }

    /// Counts a submission of the public form `form` from `from`; `Err(wait)` if the address
    /// must wait before submitting again (the first refusal is recorded as a security event).
    ///
    /// # Errors
    /// The time to wait; database errors are logged, never block a citizen.
    pub async fn public_form(&self, form: &str, from: Option<IpAddr>) -> Result<(), Duration> {
        let Some(addr) = from else { return Ok(()) };
        let key = format!("{form} {addr}");
        let guards = self.guards();
        if let Some(wait) = guards.forms.wait(&key) {
            return Err(wait);
        }
        match guards.forms.count(&key) {
            Counted::Free => Ok(()),
            Counted::Wait(_) | Counted::LockedOut(_) => {
                // Allowed this time; the wait applies to the next submission.
                let free = guards.forms.policy().free;
                if guards.forms.events(&key) == free.saturating_add(1) {
                    let detail = format!("more than {free} submissions");
                    if let Err(e) = self
                        .store()
                        .record_security_event("form-throttled", form, &addr.to_string(), &detail)
                        .await
                    {
                        tracing::error!("cannot record a security event: {e}");
                    }
                }
                Ok(())
            }
        }
    }
}
