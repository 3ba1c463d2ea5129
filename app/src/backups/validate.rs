//! Checking the repository form: what is wrong and what is accepted.

/// restic's location forms caretaker accepts.
const SCHEMES: &[&str] = &[
    "local:", "sftp:", "s3:", "rest:", "b2:", "azure:", "gs:", "swift:", "rclone:",
];

/// A repository name: 1 to 40 of `a-z 0-9 -`.
pub fn name(text: &str) -> Result<String, String> {
    let name = text.trim();
    let ok = !name.is_empty()
        && name.len() <= 40
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "Name: “{name}” is not accepted. Use 1 to 40 lowercase letters, digits and dashes, for example nas-offsite."
        ))
    }
}

/// A restic repository location: an absolute path, or one of restic's backends.
pub fn location(text: &str) -> Result<String, String> {
    let location = text.trim();
    let accepted = "Write an absolute path (/srv/restic), or sftp:user@host:/path, s3:host/bucket, rest:http://host:8000/";
    if location.is_empty() {
        return Err(format!("Location: this is needed. {accepted}."));
    }
    if location.chars().any(|c| c.is_control()) {
        return Err(format!(
            "Location: it may not contain line breaks or control characters. {accepted}."
        ));
    }
    let backend = SCHEMES.iter().any(|scheme| location.starts_with(scheme));
    if !(location.starts_with('/') || backend) {
        return Err(format!(
            "Location: “{location}” is neither an absolute path nor a restic backend. {accepted}."
        ));
    }
    // A REST URL may carry user:password@; caretaker keeps locations in plain text, so a
    // password there would be stored unsealed.
    if location.starts_with("rest:")
        && location
            .split("://")
            .nth(1)
            .is_some_and(|rest| rest.split('/').next().unwrap_or_default().contains('@'))
    {
        return Err("Location: a password inside a REST address would be stored in plain text; give the address without user:password@.".to_owned());
    }
    if location.starts_with('/') && location.split('/').any(|part| part == "..") {
        return Err(format!(
            "Location: write the path without “..”. {accepted}."
        ));
    }
    Ok(location.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_restics() {
        for good in [
            "/srv/restic",
            "local:/srv/restic",
            "sftp:backup@nas:/restic",
            "s3:s3.amazonaws.com/bucket/lab",
            "rest:http://10.0.0.5:8000/",
        ] {
            assert_eq!(location(good).as_deref(), Ok(good), "{good}");
        }
        assert!(location("backups")
            .unwrap_err()
            .contains("neither an absolute path"));
        assert!(location("/srv/../etc").unwrap_err().contains("“..”"));
        assert!(location("rest:https://user:pw@host:8000/")
            .unwrap_err()
            .contains("plain text"));
        assert!(location("/srv/x\n--password-file=/etc/shadow")
            .unwrap_err()
            .contains("line breaks"));
        assert!(location("").unwrap_err().contains("needed"));
    }

    #[test]
    fn names_are_slugs() {
        assert_eq!(name(" nas ").as_deref(), Ok("nas"));
        assert!(name("My NAS").is_err());
    }
}
