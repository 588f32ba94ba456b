//! Fuzzing entry points.
//!
//! These functions check the codec's invariants with `assert!`: a panic
//! means a bug in the codec, never a problem with the input. They are meant
//! to be called from `cargo fuzz` targets (and are called by the proptests).

use super::message::Message;
use super::raw::RawMessage;

/// Runs `check`, `parse`, `emit`, `from_raw` and `to_raw` on arbitrary bytes
/// and asserts that they agree:
///
/// - `RawMessage::check` finds the same end as `RawMessage::parse`, and says
///   "need more bytes" exactly when parsing fails with `Truncated`;
/// - a parsed raw message emits byte-identically, and `buffer_len` matches;
/// - if the semantic layer accepts it, `to_raw` gives back the same items
///   (so the bytes are identical too), decoding that again gives the same
///   message, and `Message::parse` agrees;
/// - if it rejects it, `Message::parse` reports the same error.
///
/// # Panics
/// Only when an invariant is broken, i.e. on a codec bug.
pub fn fuzz_decode(data: &[u8]) {
    let checked = RawMessage::check(data);
    let parsed = RawMessage::parse(data);
    let (raw, len) = match (checked, parsed) {
        (Ok(Some(end)), Ok((raw, len))) => {
            assert_eq!(end, len, "check and parse disagree about the end");
            (raw, len)
        }
        (Ok(None), Err(e)) => {
            assert!(
                e.is_truncated(),
                "check wants more bytes but parse says {e}"
            );
            assert_eq!(Message::parse(data), Err(e));
            return;
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b, "check and parse report different errors");
            return;
        }
        (c, p) => panic!("check {c:?} and parse {p:?} disagree"),
    };
    let wire = data.get(..len);
    assert!(wire.is_some(), "consumed more bytes than given");
    assert_eq!(raw.buffer_len(), len);
    let emitted = raw.to_bytes();
    assert_eq!(
        emitted.as_deref().ok(),
        wire,
        "raw emit is not byte-identical"
    );

    match Message::from_raw(&raw) {
        Ok(msg) => {
            let again = msg.to_raw();
            assert_eq!(again.as_ref(), Ok(&raw), "to_raw does not invert from_raw");
            let bytes = msg.to_bytes();
            assert_eq!(bytes.as_deref().ok(), wire, "semantic re-encoding differs");
            assert_eq!(Message::parse(data), Ok((msg, len)));
        }
        Err(e) => {
            assert!(!e.is_truncated(), "from_raw of a parsed message says {e}");
            assert!(!e.to_string().is_empty());
            assert_eq!(Message::parse(data), Err(e));
        }
    }
}

/// Asserts the encoder's invariants for a structured message (e.g. from
/// `arbitrary`): if `to_raw` accepts it, decoding gives the same message
/// back, the bytes can be emitted, and `check`/`parse` find their end.
///
/// # Panics
/// Only when an invariant is broken, i.e. on a codec bug.
pub fn fuzz_message(msg: &Message) {
    let Ok(raw) = msg.to_raw() else {
        return;
    };
    assert_eq!(Message::from_raw(&raw).as_ref(), Ok(msg));
    let bytes = raw.to_bytes();
    assert!(
        bytes.is_ok(),
        "to_raw accepted what emit rejects: {bytes:?}"
    );
    let bytes = bytes.unwrap_or_default();
    assert_eq!(bytes.len(), raw.buffer_len());
    assert_eq!(RawMessage::check(&bytes), Ok(Some(bytes.len())));
    assert_eq!(Message::parse(&bytes), Ok((msg.clone(), bytes.len())));
}

/// Asserts the raw layer's invariants for a structured raw message: if it
/// can be emitted, parsing gives it back (or `Truncated` when its end tag
/// was dropped) and consumes exactly what was written.
///
/// # Panics
/// Only when an invariant is broken, i.e. on a codec bug.
pub fn fuzz_raw(raw: &RawMessage) {
    let Ok(bytes) = raw.to_bytes() else {
        return;
    };
    assert_eq!(bytes.len(), raw.buffer_len());
    if raw.end_tag {
        assert_eq!(RawMessage::parse(&bytes), Ok((raw.clone(), bytes.len())));
        assert_eq!(RawMessage::check(&bytes), Ok(Some(bytes.len())));
    } else {
        assert!(RawMessage::parse(&bytes).is_err_and(|e| e.is_truncated()));
        assert_eq!(RawMessage::check(&bytes), Ok(None));
    }
    fuzz_decode(&bytes);
}
