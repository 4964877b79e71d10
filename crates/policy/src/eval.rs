//! A policy's terms in order. The first matching term whose action is
//! accept or reject decides; a matching `next` term applies its `set` and
//! evaluation goes on, later terms seeing the changed attributes. When no
//! term decides, the policy's `default` does.

use std::fmt;

use evpnd_config::model::{Disposition, Policy, TermAction};
use serde::Serialize;

use crate::action::Attributes;
use crate::matcher::matches;
use crate::route::RouteView;

/// What decided: a term, the policy's default, or no policy at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Decision {
    /// No policy is bound: accepted as is.
    NoPolicy,
    /// This term of this policy matched with accept or reject.
    Term { policy: String, term: String },
    /// No term decided: the policy's `default`.
    Default { policy: String },
}

/// The result of one evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub verdict: Disposition,
    pub decision: Decision,
    /// The matching terms that changed something, in order (`next` terms
    /// and the deciding one).
    pub applied: Vec<String>,
    /// The attributes after the `set` actions, when any applied and the
    /// route is accepted; `None`: keep the route's own.
    pub attributes: Option<Attributes>,
}

impl Outcome {
    /// Accepted unchanged because no policy is bound.
    pub fn no_policy() -> Outcome {
        Outcome {
            verdict: Disposition::Accept,
            decision: Decision::NoPolicy,
            applied: Vec::new(),
            attributes: None,
        }
    }

    pub fn accepted(&self) -> bool {
        self.verdict == Disposition::Accept
    }

    /// The deciding term's name, if a term decided.
    pub fn term(&self) -> Option<&str> {
        match &self.decision {
            Decision::Term { term, .. } => Some(term),
            _ => None,
        }
    }
}

/// `route explain`'s sentence: `accepted by policy "p" term "t"`,
/// `rejected by policy "p": no term matched (default reject)`.
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Disposition::Accept => "accepted",
            Disposition::Reject => "rejected",
        };
        match &self.decision {
            Decision::NoPolicy => write!(f, "{verdict}: no policy")?,
            Decision::Term { policy, term } => {
                write!(f, "{verdict} by policy {policy:?} term {term:?}")?
            }
            Decision::Default { policy } => write!(
                f,
                "{verdict} by policy {policy:?}: no term decided (default {})",
                if self.verdict == Disposition::Accept {
                    "accept"
                } else {
                    "reject"
                }
            )?,
        }
        let changed: Vec<&String> = self
            .applied
            .iter()
            .filter(|t| Some(t.as_str()) != self.term())
            .collect();
        if !changed.is_empty() && self.accepted() {
            let list: Vec<String> = changed.iter().map(|t| format!("{t:?}")).collect();
            write!(f, " after set actions of term {}", list.join(", "))?;
        }
        Ok(())
    }
}

/// Evaluates `policy` on `route`. Pure: the same inputs give the same outcome.
pub fn evaluate(policy: &Policy, route: &RouteView<'_>) -> Outcome {
    let mut work: Option<Attributes> = None;
    let mut applied = Vec::new();
    for term in &policy.term {
        let hit = match &work {
            Some(a) => matches(&term.matches, &a.view(route)),
            None => matches(&term.matches, route),
        };
        if !hit {
            continue;
        }
        if term.set != Default::default() {
            work.get_or_insert_with(|| Attributes::of(route))
                .apply(&term.set);
            applied.push(term.name.clone());
        }
        let verdict = match term.action {
            TermAction::Accept => Disposition::Accept,
            TermAction::Reject => Disposition::Reject,
            TermAction::Next => continue,
        };
        return finish(
            verdict,
            Decision::Term {
                policy: policy.name.clone(),
                term: term.name.clone(),
            },
            applied,
            work,
            route,
        );
    }
    finish(
        policy.default,
        Decision::Default {
            policy: policy.name.clone(),
        },
        applied,
        work,
        route,
    )
}

fn finish(
    verdict: Disposition,
    decision: Decision,
    applied: Vec<String>,
    work: Option<Attributes>,
    route: &RouteView<'_>,
) -> Outcome {
    let attributes = match (verdict, work) {
        (Disposition::Accept, Some(a)) if a != Attributes::of(route) => Some(a),
        _ => None,
    };
    Outcome {
        verdict,
        decision,
        applied,
        attributes,
    }
}
