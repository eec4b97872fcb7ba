//! The control-socket protocol between `rspectl` (or any client) and the daemon.
//!
//! A connection carries frames: a 4-byte big-endian length, then that many bytes of a
//! `postcard`-encoded message. The client sends a [`Request`], the daemon answers each with
//! one [`Response`], in order. Frames longer than [`MAX_FRAME`] are refused.

use serde::{Deserialize, Serialize};

/// Where the daemon listens unless told otherwise.
pub const DEFAULT_SOCKET: &str = "/run/rspe/rspe.sock";

/// The largest frame either side accepts, in bytes.
pub const MAX_FRAME: usize = 4 << 20;

/// How the daemon should render a command's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// As RouterOS prints it on a console.
    Text,
    /// JSON, for scripts.
    Json,
}

/// How the daemon runs a request's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Console input, in the connection's session (its current menu, its print numbers).
    Command,
    /// A script (`rspectl import`): run from the root menu, stop at the first failing
    /// command and name its line; `name` is used in messages.
    Script {
        /// The file name.
        name: String,
    },
}

/// One command (or script) for the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// RouterOS command text (`/interface print stats`), one or more lines.
    pub command: String,
    /// The output form wanted.
    pub format: Format,
    /// Console command or script.
    pub mode: Mode,
}

/// The daemon's answer to one [`Request`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The output (text or JSON, as asked), or what failed: a failed command changed
    /// nothing.
    pub result: Result<String, String>,
    /// The session's current menu afterwards (`/ip/vrf`; empty at the root).
    pub cwd: String,
    /// The router's identity (for the prompt).
    pub identity: String,
}

/// A frame that could not be turned into a message.
#[derive(Debug, thiserror::Error)]
pub enum ProtoError {
    /// The frame is longer than [`MAX_FRAME`].
    #[error("frame of {0} bytes is over the limit of {MAX_FRAME} bytes")]
    TooLong(usize),
    /// The bytes are not a valid message.
    #[error("malformed message: {0}")]
    Malformed(#[from] postcard::Error),
}

/// Encodes a message as a frame body (without the length prefix).
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, ProtoError> {
    Ok(postcard::to_stdvec(msg)?)
}

/// Decodes a frame body; the whole body must be one message.
pub fn decode<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ProtoError> {
    if body.len() > MAX_FRAME {
        return Err(ProtoError::TooLong(body.len()));
    }
    let (msg, rest) = postcard::take_from_bytes(body)?;
    if !rest.is_empty() {
        return Err(ProtoError::Malformed(
            postcard::Error::DeserializeBadEncoding,
        ));
    }
    Ok(msg)
}

/// Writes one frame (length prefix and body) to a blocking writer.
pub fn write_frame(w: &mut impl std::io::Write, body: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(body.len())
        .ok()
        .filter(|&l| l as usize <= MAX_FRAME)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "frame too long"))?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(body)?;
    w.flush()
}

/// Reads one frame body from a blocking reader; refuses frames over [`MAX_FRAME`].
pub fn read_frame(r: &mut impl std::io::Read) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            ProtoError::TooLong(len),
        ));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_response_round_trip_through_frames() {
        let req = Request {
            command: "/interface print stats".into(),
            format: Format::Json,
            mode: Mode::Script {
                name: "x.rsc".into(),
            },
        };
        let mut wire = Vec::new();
        write_frame(&mut wire, &encode(&req).unwrap()).unwrap();
        let body = read_frame(&mut wire.as_slice()).unwrap();
        assert_eq!(decode::<Request>(&body).unwrap(), req);

        let resp = Response {
            result: Err("line 1, column 2: unknown menu".into()),
            cwd: "/ip/vrf".into(),
            identity: "PE1".into(),
        };
        assert_eq!(decode::<Response>(&encode(&resp).unwrap()).unwrap(), resp);
    }

    #[test]
    fn garbage_and_oversized_frames_are_refused() {
        assert!(decode::<Request>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode::<Request>(&[]).is_err());
        let ok = Response {
            result: Ok("x".into()),
            cwd: String::new(),
            identity: String::new(),
        };
        let mut body = encode(&ok).unwrap();
        body.push(0);
        assert!(
            decode::<Response>(&body).is_err(),
            "trailing bytes are refused"
        );
        let huge = (MAX_FRAME as u32 + 1).to_be_bytes();
        let err = read_frame(&mut huge.as_slice()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    }
}
