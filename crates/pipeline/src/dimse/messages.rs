//! DIMSE command sets (PS3.7 §9.3 and Annex E): group 0000, always Implicit VR Little
//! Endian whatever the presentation context's transfer syntax, elements in ascending tag
//! order, opened by Command Group Length (0000,0000), the byte count of every element of
//! the group after it.
//!
//! Only the commands this client sends are built (C-FIND-RQ, C-GET-RQ, C-STORE-RQ,
//! C-STORE-RSP), and
//! received commands are read into [`Command`], which keeps what the client acts on.

use std::collections::BTreeMap;

use super::DimseError;

/// Command Field (0000,0100) values (PS3.7 E.1).
pub const C_STORE_RQ: u16 = 0x0001;
pub const C_STORE_RSP: u16 = 0x8001;
pub const C_GET_RQ: u16 = 0x0010;
pub const C_GET_RSP: u16 = 0x8010;
pub const C_FIND_RQ: u16 = 0x0020;
pub const C_FIND_RSP: u16 = 0x8020;

/// Command Data Set Type (0000,0800): no data set follows. Any other value: one follows.
pub const NO_DATA_SET: u16 = 0x0101;
/// What this client writes when a data set follows.
pub const DATA_SET_PRESENT: u16 = 0x0000;

/// Status (0000,0900) classes (PS3.7 C).
pub const STATUS_SUCCESS: u16 = 0x0000;
pub const STATUS_PENDING: u16 = 0xFF00;
pub const STATUS_PENDING_WARNING: u16 = 0xFF01;

const AFFECTED_SOP_CLASS_UID: u16 = 0x0002;
const COMMAND_FIELD: u16 = 0x0100;
const MESSAGE_ID: u16 = 0x0110;
const MESSAGE_ID_BEING_RESPONDED_TO: u16 = 0x0120;
const PRIORITY: u16 = 0x0700;
const COMMAND_DATA_SET_TYPE: u16 = 0x0800;
const STATUS: u16 = 0x0900;
const ERROR_COMMENT: u16 = 0x0902;
const AFFECTED_SOP_INSTANCE_UID: u16 = 0x1000;
const REMAINING_SUB_OPERATIONS: u16 = 0x1020;
const COMPLETED_SUB_OPERATIONS: u16 = 0x1021;
const FAILED_SUB_OPERATIONS: u16 = 0x1022;
const WARNING_SUB_OPERATIONS: u16 = 0x1023;

/// Priority (0000,0700): medium.
const PRIORITY_MEDIUM: u16 = 0x0000;

/// Builds one command set: elements added in ascending tag order, the group length
/// prepended by [`CommandWriter::finish`].
struct CommandWriter {
    body: Vec<u8>,
}

impl CommandWriter {
    fn new() -> Self {
        CommandWriter { body: Vec::new() }
    }

    fn header(&mut self, element: u16, len: u32) {
        self.body.extend_from_slice(&0x0000_u16.to_le_bytes());
        self.body.extend_from_slice(&element.to_le_bytes());
        self.body.extend_from_slice(&len.to_le_bytes());
    }

    fn us(mut self, element: u16, value: u16) -> Self {
        self.header(element, 2);
        self.body.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A UID, padded to even length with one NUL (PS3.5 9.1).
    fn ui(mut self, element: u16, uid: &str) -> Self {
        let padded = uid.len() + uid.len() % 2;
        self.header(element, padded as u32);
        self.body.extend_from_slice(uid.as_bytes());
        if uid.len() % 2 == 1 {
            self.body.push(0);
        }
        self
    }

    fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12 + self.body.len());
        out.extend_from_slice(&[0, 0, 0, 0, 4, 0, 0, 0]);
        out.extend_from_slice(&(self.body.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

/// A C-FIND-RQ or C-GET-RQ command (an identifier data set follows it).
pub fn request(command_field: u16, sop_class_uid: &str, message_id: u16) -> Vec<u8> {
    CommandWriter::new()
        .ui(AFFECTED_SOP_CLASS_UID, sop_class_uid)
        .us(COMMAND_FIELD, command_field)
        .us(MESSAGE_ID, message_id)
        .us(PRIORITY, PRIORITY_MEDIUM)
        .us(COMMAND_DATA_SET_TYPE, DATA_SET_PRESENT)
        .finish()
}

/// A C-STORE-RQ command (the instance's data set follows it).
pub fn store_request(sop_class_uid: &str, message_id: u16, sop_instance_uid: &str) -> Vec<u8> {
    CommandWriter::new()
        .ui(AFFECTED_SOP_CLASS_UID, sop_class_uid)
        .us(COMMAND_FIELD, C_STORE_RQ)
        .us(MESSAGE_ID, message_id)
        .us(PRIORITY, PRIORITY_MEDIUM)
        .us(COMMAND_DATA_SET_TYPE, DATA_SET_PRESENT)
        .ui(AFFECTED_SOP_INSTANCE_UID, sop_instance_uid)
        .finish()
}

/// The C-STORE-RSP answering a C-STORE-RQ (no data set follows it).
pub fn store_response(
    sop_class_uid: &str,
    message_id_being_responded_to: u16,
    status: u16,
    sop_instance_uid: &str,
) -> Vec<u8> {
    CommandWriter::new()
        .ui(AFFECTED_SOP_CLASS_UID, sop_class_uid)
        .us(COMMAND_FIELD, C_STORE_RSP)
        .us(MESSAGE_ID_BEING_RESPONDED_TO, message_id_being_responded_to)
        .us(COMMAND_DATA_SET_TYPE, NO_DATA_SET)
        .us(STATUS, status)
        .ui(AFFECTED_SOP_INSTANCE_UID, sop_instance_uid)
        .finish()
}

/// A received command set, by element number (group 0000).
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    elements: BTreeMap<u16, Vec<u8>>,
}

impl Command {
    /// Reads an Implicit VR Little Endian command set; every length is checked against
    /// the bytes there are.
    pub fn parse(bytes: &[u8]) -> Result<Command, DimseError> {
        let mut elements = BTreeMap::new();
        let mut at = 0usize;
        while at < bytes.len() {
            let header = bytes
                .get(at..at + 8)
                .ok_or_else(|| malformed("command set cut inside an element header"))?;
            let group = u16::from_le_bytes([header[0], header[1]]);
            let element = u16::from_le_bytes([header[2], header[3]]);
            let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
            let value = bytes
                .get(at + 8..at + 8 + len)
                .ok_or_else(|| malformed("command element longer than the command set"))?;
            if group != 0x0000 {
                return Err(malformed("command set element outside group 0000"));
            }
            elements.insert(element, value.to_vec());
            at += 8 + len;
        }
        Ok(Command { elements })
    }

    fn us(&self, element: u16) -> Option<u16> {
        let value = self.elements.get(&element)?;
        (value.len() == 2).then(|| u16::from_le_bytes([value[0], value[1]]))
    }

    fn text(&self, element: u16) -> Option<String> {
        let value = self.elements.get(&element)?;
        let text = String::from_utf8_lossy(value);
        let text = text.trim_matches([' ', '\0']);
        (!text.is_empty()).then(|| text.to_string())
    }

    pub fn command_field(&self) -> Option<u16> {
        self.us(COMMAND_FIELD)
    }

    pub fn message_id(&self) -> Option<u16> {
        self.us(MESSAGE_ID)
    }

    pub fn message_id_being_responded_to(&self) -> Option<u16> {
        self.us(MESSAGE_ID_BEING_RESPONDED_TO)
    }

    /// Whether a data set follows this command.
    pub fn has_data_set(&self) -> bool {
        self.us(COMMAND_DATA_SET_TYPE)
            .is_some_and(|kind| kind != NO_DATA_SET)
    }

    pub fn status(&self) -> Option<u16> {
        self.us(STATUS)
    }

    pub fn error_comment(&self) -> Option<String> {
        self.text(ERROR_COMMENT)
    }

    pub fn affected_sop_class_uid(&self) -> Option<String> {
        self.text(AFFECTED_SOP_CLASS_UID)
    }

    pub fn affected_sop_instance_uid(&self) -> Option<String> {
        self.text(AFFECTED_SOP_INSTANCE_UID)
    }

    /// C-GET-RSP sub-operation counts: (remaining, completed, failed, warning).
    pub fn sub_operations(&self) -> [Option<u16>; 4] {
        [
            self.us(REMAINING_SUB_OPERATIONS),
            self.us(COMPLETED_SUB_OPERATIONS),
            self.us(FAILED_SUB_OPERATIONS),
            self.us(WARNING_SUB_OPERATIONS),
        ]
    }
}

fn malformed(reason: &str) -> DimseError {
    DimseError::Protocol(reason.to_string())
}

/// Whether a response status means more responses follow.
pub fn is_pending(status: u16) -> bool {
    status == STATUS_PENDING || status == STATUS_PENDING_WARNING
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Study Root Query/Retrieve Information Model – FIND: 27 characters, so one NUL pad.
    const FIND: &str = "1.2.840.10008.5.1.4.1.2.2.1";

    #[test]
    fn a_c_find_request_has_the_byte_layout_of_ps3_7() -> TestResult {
        // Derived by hand from PS3.7 E.1-1 (C-FIND-RQ) and PS3.5 7.1.2 (implicit VR LE):
        // tag (group LE, element LE), 4-byte length LE, value; ascending tag order.
        let mut expected: Vec<u8> = vec![
            0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 76, 0x00, 0x00,
            0x00, // (0000,0000) UL 76
            0x00, 0x00, 0x02, 0x00, 28, 0x00, 0x00, 0x00, // (0000,0002) UI, 28 bytes
        ];
        expected.extend_from_slice(b"1.2.840.10008.5.1.4.1.2.2.1\0");
        expected.extend_from_slice(&[
            0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x20, 0x00, // (0000,0100) 0020H
            0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00, // (0000,0110) id 7
            0x00, 0x00, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // (0000,0700) medium
            0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x00,
            0x00, // (0000,0800) data set
        ]);
        assert_eq!(request(C_FIND_RQ, FIND, 7), expected);
        // 76 = 36 (UID element: 8 + 28) + 4 × 10 (US elements: 8 + 2).
        assert_eq!(expected.len(), 12 + 76);
        Ok(())
    }

    #[test]
    fn a_c_store_response_has_the_byte_layout_of_ps3_7() -> TestResult {
        // PS3.7 9.3.1.2 (C-STORE-RSP): even-length UIDs need no pad.
        let class = "1.2.840.10008.5.1.4.1.1.88.22"; // 29 chars: padded to 30
        let instance = "1.2.3.44"; // 8 chars
        let mut expected: Vec<u8> = vec![
            0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 94, 0x00, 0x00,
            0x00, // (0000,0000) UL 94
            0x00, 0x00, 0x02, 0x00, 30, 0x00, 0x00, 0x00,
        ];
        expected.extend_from_slice(b"1.2.840.10008.5.1.4.1.1.88.22\0");
        expected.extend_from_slice(&[
            0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x80, // (0000,0100) 8001H
            0x00, 0x00, 0x20, 0x01, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, // (0000,0120) 5
            0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01, // (0000,0800) 0101H
            0x00, 0x00, 0x00, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // (0000,0900) success
            0x00, 0x00, 0x00, 0x10, 8, 0x00, 0x00, 0x00, // (0000,1000) UI, 8 bytes
        ]);
        expected.extend_from_slice(b"1.2.3.44");
        // 94 = (8 + 30) + 4 × 10 + (8 + 8).
        assert_eq!(store_response(class, 5, STATUS_SUCCESS, instance), expected);
        Ok(())
    }

    #[test]
    fn a_c_store_request_has_the_byte_layout_of_ps3_7() -> TestResult {
        // PS3.7 9.3.1.1 (C-STORE-RQ), elements in ascending order, implicit VR LE.
        let class = "1.2.840.10008.5.1.4.1.1.88.34"; // Comprehensive 3D SR: 29 chars, pad
        let instance = "2.25.7"; // 6 chars, even
        let mut expected: Vec<u8> = vec![
            0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 92, 0x00, 0x00,
            0x00, // (0000,0000) UL 92
            0x00, 0x00, 0x02, 0x00, 30, 0x00, 0x00, 0x00,
        ];
        expected.extend_from_slice(b"1.2.840.10008.5.1.4.1.1.88.34\0");
        expected.extend_from_slice(&[
            0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, // (0000,0100) 0001H
            0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x0C, 0x00, // (0000,0110) 12
            0x00, 0x00, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, // (0000,0700) medium
            0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x00,
            0x00, // (0000,0800) data set
            0x00, 0x00, 0x00, 0x10, 6, 0x00, 0x00, 0x00, // (0000,1000) UI, 6 bytes
        ]);
        expected.extend_from_slice(b"2.25.7");
        // 92 = (8 + 30) + 4 × 10 + (8 + 6).
        assert_eq!(store_request(class, 12, instance), expected);
        Ok(())
    }

    #[test]
    fn a_c_get_response_is_read_back() -> TestResult {
        // A final C-GET-RSP as an SCP writes it: status, sub-operation counts, no data set.
        let mut bytes = vec![0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 50, 0, 0, 0];
        for (element, value) in [
            (0x0100_u16, 0x8010_u16),
            (0x0120, 3),
            (0x0800, 0x0101),
            (0x0900, 0xB000),
            (0x1021, 2),
        ] {
            bytes.extend_from_slice(&[0x00, 0x00]);
            bytes.extend_from_slice(&element.to_le_bytes());
            bytes.extend_from_slice(&[0x02, 0x00, 0x00, 0x00]);
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        let command = Command::parse(&bytes)?;
        assert_eq!(command.command_field(), Some(C_GET_RSP));
        assert_eq!(command.message_id_being_responded_to(), Some(3));
        assert!(!command.has_data_set());
        assert_eq!(command.status(), Some(0xB000));
        assert_eq!(command.sub_operations(), [None, Some(2), None, None]);
        // Our own request reads back too.
        let request = Command::parse(&request(C_GET_RQ, FIND, 9))?;
        assert_eq!(request.affected_sop_class_uid().as_deref(), Some(FIND));
        assert_eq!(request.message_id(), Some(9));
        assert!(request.has_data_set());
        Ok(())
    }

    #[test]
    fn truncated_command_sets_are_errors_not_panics() -> TestResult {
        let full = request(C_FIND_RQ, FIND, 1);
        for cut in 1..full.len() {
            if let Ok(command) = Command::parse(&full[..cut]) {
                // Cut exactly at an element boundary: a shorter, well-formed command.
                assert!(command.elements.len() < 6);
            }
        }
        assert!(Command::parse(&[0x08, 0x00, 0x18, 0x00, 0, 0, 0, 0]).is_err());
        Ok(())
    }
}
