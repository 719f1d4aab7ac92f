//! One association with the PACS (dicom-ul does the A-ASSOCIATE negotiation and the PDU
//! framing): DIMSE messages sent as command + data set fragments (P-DATA PDVs no longer
//! than the peer accepts) and received back whole.

use std::collections::VecDeque;
use std::net::TcpStream;
use std::time::Duration;

use dicom_ul::association::client::{ClientAssociation, ClientAssociationOptions};
use dicom_ul::pdu::{
    AbortRQSource, PDataValue, PDataValueType, Pdu, PresentationContextResultReason,
};

use super::messages::Command;
use super::{DimseError, Peer};

/// Transfer syntaxes proposed for every context: Explicit then Implicit VR Little Endian
/// (Implicit is the one every SCP must accept).
pub const TRANSFER_SYNTAXES: [&str; 2] = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"];

/// Largest PDU this client accepts (and the default fragment size when the peer sets no
/// limit).
const MAX_PDU: u32 = 64 * 1024;
/// A PDV item's own header inside the PDU: item length (4), context id (1), control (1).
const PDV_HEADER: usize = 6;

/// What to propose: abstract syntaxes for which this client is the SCU, and those for
/// which it also takes the SCP role (storage classes received through C-GET).
pub struct Proposal<'a> {
    pub scu: &'a [&'a str],
    pub scp: &'a [&'a str],
}

/// A received DIMSE message.
pub struct Message {
    pub context_id: u8,
    pub command: Command,
    pub data: Option<Vec<u8>>,
}

pub struct Association {
    inner: Option<ClientAssociation<TcpStream>>,
    peer: String,
    timeout: Duration,
    /// PDVs received but not yet consumed (one PDU may carry several).
    pending: VecDeque<PDataValue>,
    next_message_id: u16,
}

impl Association {
    pub fn open(
        peer: &Peer,
        calling_aet: &str,
        timeout: Duration,
        proposal: &Proposal<'_>,
    ) -> Result<Association, DimseError> {
        let mut options = ClientAssociationOptions::new()
            .calling_ae_title(calling_aet.to_string())
            .called_ae_title(peer.aet.clone())
            .max_pdu_length(MAX_PDU)
            .connection_timeout(timeout)
            .read_timeout(timeout)
            .write_timeout(timeout);
        for syntax in proposal.scu.iter().chain(proposal.scp) {
            options = options.with_presentation_context(
                syntax.to_string(),
                TRANSFER_SYNTAXES.iter().map(|t| t.to_string()).collect(),
            );
        }
        for syntax in proposal.scp {
            options = options.with_role_selection(syntax.to_string(), false, true);
        }
        let mut inner = options
            .establish_with(&format!("{}@{}:{}", peer.aet, peer.host, peer.port))
            .map_err(|e| DimseError::Association {
                peer: peer.to_string(),
                reason: describe(&e, timeout),
            })?;
        // Small command PDUs must not wait for delayed ACKs (Nagle).
        let _ = inner.inner_stream().set_nodelay(true);
        Ok(Association {
            inner: Some(inner),
            peer: peer.to_string(),
            timeout,
            pending: VecDeque::new(),
            next_message_id: 1,
        })
    }

    fn inner(&mut self) -> Result<&mut ClientAssociation<TcpStream>, DimseError> {
        self.inner
            .as_mut()
            .ok_or_else(|| DimseError::Protocol("association already closed".into()))
    }

    /// The accepted presentation context of an abstract syntax: (id, transfer syntax).
    pub fn context(&self, abstract_syntax: &str) -> Option<(u8, String)> {
        self.inner
            .as_ref()?
            .presentation_contexts()
            .iter()
            .find(|pc| {
                pc.abstract_syntax == abstract_syntax
                    && pc.reason == PresentationContextResultReason::Acceptance
            })
            .map(|pc| (pc.id, pc.transfer_syntax.clone()))
    }

    /// The transfer syntax of an accepted context, by id.
    pub fn context_by_id(&self, id: u8) -> Option<(String, String)> {
        self.inner
            .as_ref()?
            .presentation_contexts()
            .iter()
            .find(|pc| pc.id == id)
            .map(|pc| (pc.abstract_syntax.clone(), pc.transfer_syntax.clone()))
    }

    pub fn next_message_id(&mut self) -> u16 {
        let id = self.next_message_id;
        self.next_message_id = self.next_message_id.wrapping_add(1).max(1);
        id
    }

    /// Sends a command and its data set, fragmented to the peer's maximum PDU length.
    pub fn send(
        &mut self,
        context_id: u8,
        command: &[u8],
        data: Option<&[u8]>,
    ) -> Result<(), DimseError> {
        let (peer, timeout) = (self.peer.clone(), self.timeout);
        let inner = self.inner()?;
        let limit = match inner.acceptor_max_pdu_length() as usize {
            0 => MAX_PDU as usize,
            n => n,
        };
        let fragment = limit.saturating_sub(PDV_HEADER).max(1);
        let mut parts = vec![(PDataValueType::Command, command)];
        if let Some(data) = data {
            parts.push((PDataValueType::Data, data));
        }
        for (kind, bytes) in parts {
            let chunks: Vec<&[u8]> = if bytes.is_empty() {
                vec![bytes]
            } else {
                bytes.chunks(fragment).collect()
            };
            let last = chunks.len() - 1;
            for (n, chunk) in chunks.into_iter().enumerate() {
                let pdu = Pdu::PData {
                    data: vec![PDataValue {
                        presentation_context_id: context_id,
                        value_type: kind.clone(),
                        is_last: n == last,
                        data: chunk.to_vec(),
                    }],
                };
                inner.send(&pdu).map_err(|e| DimseError::Transport {
                    peer: peer.clone(),
                    reason: describe(&e, timeout),
                })?;
            }
        }
        Ok(())
    }

    fn next_pdv(&mut self) -> Result<PDataValue, DimseError> {
        loop {
            if let Some(pdv) = self.pending.pop_front() {
                return Ok(pdv);
            }
            let (peer, timeout) = (self.peer.clone(), self.timeout);
            let pdu = self.inner()?.receive().map_err(|e| DimseError::Transport {
                peer: peer.clone(),
                reason: describe(&e, timeout),
            })?;
            match pdu {
                Pdu::PData { data } => self.pending.extend(data),
                Pdu::AbortRQ { source } => {
                    self.inner = None;
                    return Err(DimseError::Transport {
                        peer,
                        reason: format!(
                            "the PACS aborted the association ({})",
                            abort_source(&source)
                        ),
                    });
                }
                other => {
                    return Err(DimseError::Protocol(format!(
                        "{peer}: unexpected {} during a DIMSE exchange",
                        other.short_description()
                    )))
                }
            }
        }
    }

    /// Receives one whole message: its command, then its data set if the command says
    /// one follows.
    pub fn receive(&mut self) -> Result<Message, DimseError> {
        let mut command = Vec::new();
        let context_id = loop {
            let pdv = self.next_pdv()?;
            if pdv.value_type != PDataValueType::Command {
                return Err(DimseError::Protocol(
                    "data fragment where a command was expected".into(),
                ));
            }
            command.extend_from_slice(&pdv.data);
            if pdv.is_last {
                break pdv.presentation_context_id;
            }
        };
        let command = Command::parse(&command)?;
        let data = if command.has_data_set() {
            let mut data = Vec::new();
            loop {
                let pdv = self.next_pdv()?;
                if pdv.value_type != PDataValueType::Data
                    || pdv.presentation_context_id != context_id
                {
                    return Err(DimseError::Protocol(
                        "command fragment where a data set was expected".into(),
                    ));
                }
                data.extend_from_slice(&pdv.data);
                if pdv.is_last {
                    break;
                }
            }
            Some(data)
        } else {
            None
        };
        Ok(Message {
            context_id,
            command,
            data,
        })
    }

    /// Releases the association (A-RELEASE); a peer that does not answer is left.
    pub fn release(mut self) {
        if let Some(inner) = self.inner.take() {
            let _ = inner.release();
        }
    }
}

impl Drop for Association {
    /// An association dropped on an error path is aborted, never left half open.
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let _ = inner.abort();
        }
    }
}

/// Who aborted, in words.
fn abort_source(source: &AbortRQSource) -> String {
    match source {
        AbortRQSource::ServiceUser => "service user: it refused the request".into(),
        AbortRQSource::ServiceProvider(reason) => format!("service provider: {reason}"),
        AbortRQSource::Reserved => "reserved source".into(),
    }
}

/// An error on one line, or "no answer within …" when a socket read or write timed out.
fn describe(error: &(dyn std::error::Error + 'static), timeout: Duration) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                return format!("no answer within {} s (timeout_s)", timeout.as_secs());
            }
        }
        source = cause.source();
    }
    chain(error)
}

/// An error and its causes on one line (dicom-ul's errors say "failed to send pdu" and
/// keep the why in their sources).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
