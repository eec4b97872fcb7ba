//! The control-socket protocol between `rspectl` (or any client) and the daemon.
//!
//! A connection carries frames: a 4-byte big-endian length, then that many bytes of body,
//! at most [`MAX_FRAME`]. A message (a `postcard`-encoded [`Request`] or [`Response`]) is
//! carried by one or more frames: each body starts with a flag byte, [`MORE`] when further
//! frames of the same message follow and [`LAST`] on its final frame; the rest of each body
//! is the next piece of the message. So a message of any size streams in bounded frames: the
//! daemon accepts requests up to [`MAX_REQUEST`] (an `import` of a large file) and answers
//! with responses of any size (a `print` of a million routes). The client sends a request,
//! the daemon answers each with one response, in order.

use serde::{Deserialize, Serialize};

/// Where the daemon listens unless told otherwise.
pub const DEFAULT_SOCKET: &str = "/run/rspe/rspe.sock";

/// The largest frame either side accepts, in bytes (flag byte included).
pub const MAX_FRAME: usize = 4 << 20;

/// The largest request the daemon accepts, in bytes (all its frames together).
pub const MAX_REQUEST: usize = 256 << 20;

/// The largest response a client accepts, in bytes: far beyond any configuration.
pub const MAX_RESPONSE: usize = 4 << 30;

/// Flag byte: this frame ends its message.
pub const LAST: u8 = 0;

/// Flag byte: more frames of this message follow.
pub const MORE: u8 = 1;

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
    /// command and name its line; `name` is used in messages. With `keep_going`, every
    /// command that can be applied is, and each refused one is listed with its line.
    Script {
        /// The file name.
        name: String,
        /// Go on past refused commands (`rspectl import --keep-going`).
        #[serde(default)]
        keep_going: bool,
    },
    /// Interrupts the command this connection is running (Ctrl-C in the console): a
    /// `/ping` stops and answers with what it has. Sent while waiting for an answer; it
    /// gets no answer of its own.
    Cancel,
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
    /// Warnings about what was accepted (a parameter set that has no effect yet), for the
    /// client to show apart from the output.
    pub warnings: Vec<String>,
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
    /// A frame's first byte is neither [`MORE`] nor [`LAST`], or the frame is empty.
    #[error("malformed frame: flag byte {0:?} (expected 0 or 1)")]
    BadFlag(Option<u8>),
    /// The frames of one message add up to more than the receiver accepts.
    #[error("message of more than {0} bytes is over the limit")]
    MessageTooLong(usize),
}

/// Gathers the frames of one message.
#[derive(Debug)]
pub struct Assembler {
    body: Vec<u8>,
    limit: usize,
}

impl Assembler {
    /// An assembler of messages of at most `limit` bytes.
    pub fn new(limit: usize) -> Assembler {
        Assembler {
            body: Vec::new(),
            limit,
        }
    }

    /// Takes one frame body; returns the whole message once its last frame came.
    pub fn push(&mut self, frame: &[u8]) -> Result<Option<Vec<u8>>, ProtoError> {
        let (&flag, piece) = frame.split_first().ok_or(ProtoError::BadFlag(None))?;
        if flag != MORE && flag != LAST {
            return Err(ProtoError::BadFlag(Some(flag)));
        }
        if self.body.len() + piece.len() > self.limit {
            self.body = Vec::new();
            return Err(ProtoError::MessageTooLong(self.limit));
        }
        self.body.extend_from_slice(piece);
        Ok((flag == LAST).then(|| std::mem::take(&mut self.body)))
    }
}

/// Splits a message body into frame bodies of at most [`MAX_FRAME`] bytes, flags included.
pub fn frames(body: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let piece = MAX_FRAME - 1;
    let n = body.len().div_ceil(piece).max(1);
    (0..n).map(move |i| {
        let chunk = &body[(i * piece).min(body.len())..((i + 1) * piece).min(body.len())];
        let mut f = Vec::with_capacity(chunk.len() + 1);
        f.push(if i + 1 == n { LAST } else { MORE });
        f.extend_from_slice(chunk);
        f
    })
}

/// Writes one message, in as many frames as it needs, to a blocking writer.
pub fn write_message(w: &mut impl std::io::Write, body: &[u8]) -> std::io::Result<()> {
    for f in frames(body) {
        write_frame(w, &f)?;
    }
    Ok(())
}

/// Reads one message of at most `limit` bytes from a blocking reader.
pub fn read_message(r: &mut impl std::io::Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut asm = Assembler::new(limit);
    loop {
        let f = read_frame(r)?;
        match asm.push(&f) {
            Ok(Some(body)) => return Ok(body),
            Ok(None) => {}
            Err(e) => return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        }
    }
}

/// Encodes a message as a frame body (without the length prefix).
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, ProtoError> {
    Ok(postcard::to_stdvec(msg)?)
}

/// Decodes a message body; the whole body must be one message.
pub fn decode<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ProtoError> {
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
                keep_going: true,
            },
        };
        let mut wire = Vec::new();
        write_message(&mut wire, &encode(&req).unwrap()).unwrap();
        let body = read_message(&mut wire.as_slice(), MAX_REQUEST).unwrap();
        assert_eq!(decode::<Request>(&body).unwrap(), req);

        let resp = Response {
            result: Err("line 1, column 2: unknown menu".into()),
            cwd: "/ip/vrf".into(),
            identity: "PE1".into(),
            warnings: vec!["warning: x".into()],
        };
        assert_eq!(decode::<Response>(&encode(&resp).unwrap()).unwrap(), resp);
    }

    #[test]
    fn messages_larger_than_a_frame_stream_in_frames() {
        let big = Response {
            result: Ok("route\n".repeat(3 << 20)),
            cwd: String::new(),
            identity: "PE1".into(),
            warnings: vec!["warning: x".into()],
        };
        let body = encode(&big).unwrap();
        let mut wire = Vec::new();
        write_message(&mut wire, &body).unwrap();
        assert!(frames(&body).all(|f| f.len() <= MAX_FRAME));
        assert_eq!(frames(&body).count(), body.len().div_ceil(MAX_FRAME - 1));
        let back = read_message(&mut wire.as_slice(), MAX_RESPONSE).unwrap();
        assert_eq!(decode::<Response>(&back).unwrap(), big);
        // The receiver's limit holds across frames.
        let err = read_message(&mut wire.as_slice(), 5 << 20).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        // An empty message is one frame; a bad flag is refused.
        assert_eq!(frames(&[]).collect::<Vec<_>>(), vec![vec![LAST]]);
        assert!(Assembler::new(10).push(&[7, 1]).is_err());
        assert!(Assembler::new(10).push(&[]).is_err());
    }

    #[test]
    fn garbage_and_oversized_frames_are_refused() {
        assert!(decode::<Request>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode::<Request>(&[]).is_err());
        let ok = Response {
            result: Ok("x".into()),
            cwd: String::new(),
            identity: String::new(),
            warnings: Vec::new(),
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
