//! Carrying a plan out, and back: [`apply`] runs the steps in order on a
//! [`Kernel`], skipping what the kernel already has, and journals every step
//! it made with the ops that undo it; [`rollback`] runs the journal's undo
//! ops in reverse and empties it. [`Model`] is the kernel in memory (tests,
//! `--dry-run`); `evpnd_linux::migrate` is the real one.
//!
//! The journal is saved after every step made, so after a failure (or a
//! crash between steps) it names exactly what was made:
//!
//! ```text
//! {"version": 1, "entries": [
//!   {"step": 1, "command": "ip link add vxlan10100 ...", "undo": [{"op": "delete_link", ...}]},
//!   ...]}
//! ```

use serde::{Deserialize, Serialize};

use crate::inventory::Inventory;
use crate::op::Op;
use crate::plan::Step;

/// What a kernel offers the applier.
pub trait Kernel {
    /// The current state.
    fn read(&mut self) -> Result<Inventory, String>;
    /// Makes one change.
    fn execute(&mut self, op: &Op) -> Result<(), String>;
}

/// The kernel in memory: ops change an inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    pub inv: Inventory,
}

impl Kernel for Model {
    fn read(&mut self) -> Result<Inventory, String> {
        Ok(self.inv.clone())
    }
    fn execute(&mut self, op: &Op) -> Result<(), String> {
        op.apply(&mut self.inv).map_err(|e| e.to_string())
    }
}

/// The journal's format version.
pub const JOURNAL_VERSION: u32 = 1;

/// The steps made and how to undo them, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    pub version: u32,
    pub entries: Vec<Entry>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            version: JOURNAL_VERSION,
            entries: Vec::new(),
        }
    }
}

/// One step made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The plan's step number.
    pub step: usize,
    pub command: String,
    /// The ops that undo it, in order (computed from the kernel just before).
    pub undo: Vec<Op>,
}

/// What happened to one step (or one undo op).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub step: usize,
    pub command: String,
    /// False: the kernel already had it; nothing was done.
    pub made: bool,
}

/// Where `apply` or `rollback` stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("step {step} ({command}) failed: {error}")]
pub struct Failed {
    pub step: usize,
    pub command: String,
    pub error: String,
    /// What was done before it.
    pub done: Vec<Done>,
}

/// Saves the journal (to a file, or nowhere).
pub type Save<'a> = &'a mut dyn FnMut(&Journal) -> Result<(), String>;

/// Runs `steps` in order. A step the kernel already has is skipped and not
/// journaled; a step made is journaled (and the journal saved) before the
/// next one starts. Stops at the first failure.
pub fn apply(
    steps: &[Step],
    kernel: &mut dyn Kernel,
    journal: &mut Journal,
    save: Save<'_>,
) -> Result<Vec<Done>, Failed> {
    let mut done = Vec::new();
    for s in steps {
        let fail = |error: String, done: &Vec<Done>| Failed {
            step: s.number,
            command: s.command.clone(),
            error,
            done: done.clone(),
        };
        let before = kernel
            .read()
            .map_err(|e| fail(format!("reading the kernel: {e}"), &done))?;
        if s.op.done(&before) {
            done.push(Done {
                step: s.number,
                command: s.command.clone(),
                made: false,
            });
            continue;
        }
        let undo = s.op.undo(&before);
        kernel.execute(&s.op).map_err(|e| fail(e, &done))?;
        journal.entries.push(Entry {
            step: s.number,
            command: s.command.clone(),
            undo,
        });
        save(journal).map_err(|e| {
            fail(
                format!("made, but the journal could not be saved: {e}"),
                &done,
            )
        })?;
        done.push(Done {
            step: s.number,
            command: s.command.clone(),
            made: true,
        });
    }
    Ok(done)
}

/// Undoes the journal's entries, newest first; each entry leaves the
/// journal (saved) once all its undo ops are done. On success the journal
/// is empty.
pub fn rollback(
    kernel: &mut dyn Kernel,
    journal: &mut Journal,
    save: Save<'_>,
) -> Result<Vec<Done>, Failed> {
    let mut done = Vec::new();
    while let Some(entry) = journal.entries.last().cloned() {
        for op in &entry.undo {
            let fail = |error: String, done: &Vec<Done>| Failed {
                step: entry.step,
                command: op.command(),
                error,
                done: done.clone(),
            };
            let now = kernel
                .read()
                .map_err(|e| fail(format!("reading the kernel: {e}"), &done))?;
            let command = op.command_in(&now);
            let made = !op.done(&now);
            if made {
                kernel.execute(op).map_err(|e| fail(e, &done))?;
            }
            done.push(Done {
                step: entry.step,
                command,
                made,
            });
        }
        journal.entries.pop();
        save(journal).map_err(|e| Failed {
            step: entry.step,
            command: entry.command.clone(),
            error: format!("undone, but the journal could not be saved: {e}"),
            done: done.clone(),
        })?;
    }
    Ok(done)
}
