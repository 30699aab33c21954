//! splunkd's field handling: all fields, or selected fields with
//! `_chunked_idx` and the reply merged back; [`Splunkd`] drives a process
//! that way.

use super::{execute, getinfo, getinfo_reply, Reply};
use crate::util::driver::{Driver, Finished};
use crate::util::splunk_csv::{parse_csv, splunk_quote, Csv};

// ---------------------------------------------------------------------------
// splunkd's two ways of sending fields (shared/docs/protocol-modern.md §2,
// protocol.md §5.3).

/// What splunkd sends the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldMode {
    /// Every field of the events, as they are (the 6.3 recordings; a
    /// getinfo reply with `required_fields` `["*"]`).
    All,
    /// Selected-fields mode: only the fields the getinfo reply declares in
    /// `required_fields` (a declared field no event has is an empty
    /// column), then `_chunked_idx`, then the `__mv_` twins of both; the
    /// reply is merged back into the full events by `_chunked_idx`.
    Selected,
}

/// How splunkd numbers `_chunked_idx` in selected-fields mode (unconfirmed,
/// so the driver tries each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkedIdx {
    /// 0, 1, 2 … in every request.
    PerRequest,
    /// Counting on across requests.
    Global,
    /// Not sent (the reply must then be passed through as it came).
    Absent,
}

/// Events as splunkd holds them: a header and rows of unquoted values. A
/// field a row lacks reads as empty, as in Splunk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// Field names.
    pub header: Vec<Vec<u8>>,
    /// One value per field per row.
    pub rows: Vec<Vec<Vec<u8>>>,
}

impl Events {
    /// The events of a parsed body.
    pub fn from_csv(csv: &Csv) -> Events {
        Events {
            header: csv.header.clone(),
            rows: csv.rows.iter().map(|r| r.iter().map(<[u8]>::to_vec).collect()).collect(),
        }
    }

    /// Column of `name`.
    pub fn col(&self, name: &[u8]) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Row `r`'s value of `name` (empty when the column is absent).
    pub fn get(&self, r: usize, name: &[u8]) -> &[u8] {
        self.col(name).map_or(&[][..], |c| &self.rows[r][c])
    }

    /// Asserts that `self` and `other` hold the same rows with the same
    /// value for every field of either (absent = empty).
    pub fn assert_same(&self, other: &Events, what: &str) {
        assert_eq!(self.rows.len(), other.rows.len(), "{what}: number of events");
        let mut names: Vec<&Vec<u8>> = self.header.iter().collect();
        names.extend(other.header.iter().filter(|h| !self.header.contains(h)));
        for r in 0..self.rows.len() {
            for n in &names {
                let (a, b) = (self.get(r, n), other.get(r, n));
                assert!(
                    a == b,
                    "{what}: event {r}, field {:?}: {:?} against {:?}",
                    String::from_utf8_lossy(n),
                    a.escape_ascii().to_string(),
                    b.escape_ascii().to_string()
                );
            }
        }
    }
}

/// `_chunked_idx` and its twin: splunkd's, never merged into the events.
const IDX: &[u8] = b"_chunked_idx";
const MV_IDX: &[u8] = b"__mv__chunked_idx";

/// What splunkd sends in selected-fields mode for the events of `full`:
/// each `required` field (empty where the events lack it), `_chunked_idx`
/// numbered from `first_idx` (unless `idx` is [`ChunkedIdx::Absent`]), then
/// the `__mv_` twins of all of them, splunkd-quoted, LF row ends. An empty
/// body stays empty; a header-only body gives the header row only.
pub fn select_fields(
    full: &[u8],
    required: &[String],
    idx: ChunkedIdx,
    first_idx: u64,
) -> Vec<u8> {
    if full.is_empty() {
        return Vec::new();
    }
    let events = Events::from_csv(&parse_csv(full));
    let mut names: Vec<Vec<u8>> = required.iter().map(|f| f.as_bytes().to_vec()).collect();
    if idx != ChunkedIdx::Absent {
        names.push(IDX.to_vec());
    }
    let mut out = Vec::new();
    let cells = |values: &mut dyn Iterator<Item = Vec<u8>>, out: &mut Vec<u8>| {
        for (i, v) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if !v.is_empty() {
                splunk_quote(&v, out);
            }
        }
        out.push(b'\n');
    };
    let mut header = names.clone();
    header.extend(names.iter().map(|n| [&b"__mv_"[..], n].concat()));
    cells(&mut header.into_iter(), &mut out);
    for (r, _) in events.rows.iter().enumerate() {
        let mut row: Vec<Vec<u8>> = Vec::new();
        for n in &names {
            row.push(if n == IDX {
                (first_idx + r as u64).to_string().into_bytes()
            } else {
                events.get(r, n).to_vec()
            });
        }
        for n in &names {
            row.push(events.get(r, &[&b"__mv_"[..], n].concat()).to_vec());
        }
        cells(&mut row.into_iter(), &mut out);
    }
    out
}

/// Merges a selected-fields reply back into the full events, as splunkd
/// does: each reply record is found by its `_chunked_idx` (which must be
/// the one sent, in the order sent; by position when none was sent) and
/// every field of it but `_chunked_idx` overwrites (or adds) that field of
/// the event. Panics when a record is missing, added, reordered or
/// carries another `_chunked_idx`.
pub fn merge_back(what: &str, full: &Events, sent: &Csv, reply: &Csv) -> Events {
    let mut merged = full.clone();
    if sent.rows.is_empty() {
        return merged;
    }
    assert_eq!(reply.rows.len(), sent.rows.len(), "{what}: one reply record per record sent");
    assert_eq!(sent.rows.len(), full.rows.len(), "{what}: generator error");
    let position: Vec<usize> = match sent.col("_chunked_idx") {
        None => (0..sent.rows.len()).collect(),
        Some(si) => {
            let ri = reply
                .col("_chunked_idx")
                .unwrap_or_else(|| panic!("{what}: the reply has no _chunked_idx"));
            let by_idx: std::collections::HashMap<&[u8], usize> =
                sent.rows.iter().enumerate().map(|(k, r)| (&r[si], k)).collect();
            reply
                .rows
                .iter()
                .enumerate()
                .map(|(k, r)| {
                    let at = *by_idx.get(&r[ri]).unwrap_or_else(|| {
                        panic!("{what}: reply record {k} has an unknown _chunked_idx {:?}", &r[ri])
                    });
                    assert_eq!(at, k, "{what}: reply record {k} is event {at}: reordered");
                    at
                })
                .collect()
        }
    };
    for (c, name) in reply.header.iter().enumerate() {
        if name == IDX || name == MV_IDX {
            continue;
        }
        let mc = merged.col(name).unwrap_or_else(|| {
            merged.header.push(name.clone());
            for row in &mut merged.rows {
                row.push(Vec::new());
            }
            merged.header.len() - 1
        });
        for (k, row) in reply.rows.iter().enumerate() {
            merged.rows[position[k]][mc] = row[c].to_vec();
        }
    }
    merged
}

/// A driven `dynamicdns scp` with splunkd's field handling: it sends the
/// getinfo, reads `required_fields` from the real reply, and then sends
/// each body of full events the way `mode` says, merging the reply back.
pub struct Splunkd {
    /// The driven process.
    pub driver: Driver,
    /// How fields are sent.
    pub mode: FieldMode,
    /// `required_fields` of the getinfo reply (absent: all fields).
    pub required: Option<Vec<String>>,
    /// How `_chunked_idx` is numbered in selected-fields mode.
    pub idx: ChunkedIdx,
    next_idx: u64,
}

/// One execute exchange through [`Splunkd`].
pub struct Sent {
    /// The body sent (the full body, or its selected fields).
    pub body: Vec<u8>,
    /// The reply.
    pub reply: Reply,
    /// The full events with the reply merged in (for [`FieldMode::All`]:
    /// the reply's events).
    pub events: Events,
}

impl Splunkd {
    /// Starts `dynamicdns scp` and sends the getinfo for `args`; checks the
    /// reply is exactly [`getinfo_reply`] and keeps its `required_fields`.
    pub fn start(mode: FieldMode, idx: ChunkedIdx, args: &[&str]) -> Splunkd {
        Splunkd::start_driver(Driver::spawn(), mode, idx, args)
    }

    /// As [`start`](Self::start), over a driver already started.
    pub fn start_driver(
        mut driver: Driver,
        mode: FieldMode,
        idx: ChunkedIdx,
        args: &[&str],
    ) -> Splunkd {
        let reply = driver.request(&getinfo(args));
        assert_eq!(
            String::from_utf8_lossy(&reply.metadata_raw),
            String::from_utf8_lossy(&getinfo_reply(args)),
            "getinfo reply"
        );
        assert!(reply.body.is_empty(), "getinfo reply has a body");
        let required = reply.metadata.get("required_fields").map(|v| {
            v.as_array()
                .expect("required_fields is a list")
                .iter()
                .map(|f| f.as_str().expect("required_fields holds strings").to_string())
                .collect()
        });
        Splunkd { driver, mode, required, idx, next_idx: 0 }
    }

    /// True when bodies are cut down to the declared fields.
    pub fn selects(&self) -> bool {
        self.mode == FieldMode::Selected
            && self.required.as_ref().is_some_and(|r| !r.iter().any(|f| f == "*"))
    }

    /// Sends one execute request for the events of `full` and merges the
    /// reply back (see [`merge_back`]).
    pub fn execute(&mut self, what: &str, finished: bool, full: &[u8]) -> Sent {
        if !self.selects() {
            let reply = self.driver.request(&execute(finished, full));
            let events = Events::from_csv(&parse_csv(&reply.body));
            return Sent { body: full.to_vec(), reply, events };
        }
        if self.idx != ChunkedIdx::Global {
            self.next_idx = 0;
        }
        let required = self.required.clone().unwrap_or_default();
        let body = select_fields(full, &required, self.idx, self.next_idx);
        let full_csv = parse_csv(full);
        self.next_idx += full_csv.rows.len() as u64;
        let reply = self.driver.request(&execute(finished, &body));
        let sent = parse_csv(&body);
        // Field pruning: a field not declared is not sent.
        for h in full_csv.header.iter().filter(|h| *h != IDX && *h != MV_IDX) {
            let declared = required.iter().any(|f| f.as_bytes() == &h[..])
                || required.iter().any(|f| [&b"__mv_"[..], f.as_bytes()].concat() == *h);
            assert_eq!(
                sent.header.contains(h),
                declared,
                "{what}: field {:?} pruned wrongly",
                String::from_utf8_lossy(h)
            );
        }
        let events =
            merge_back(what, &Events::from_csv(&full_csv), &sent, &parse_csv(&reply.body));
        Sent { body, reply, events }
    }

    /// Closes stdin and waits for the exit (see [`Driver::finish`]).
    pub fn finish(self) -> Finished {
        self.driver.finish()
    }
}
