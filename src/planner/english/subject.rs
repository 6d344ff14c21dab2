//! What an English request is about: a kind, names, or "it". Every word must be accounted
//! for — a filler, a kind, a name, or something the intent's own recogniser takes — otherwise
//! the request is not understood (never guessed around).

use crate::actions::ObjectRef;
use crate::kinds;
use crate::planner::reply::{self, Topic};
use crate::planner::target::{self, Kind};
use crate::planner::{PlanContext, Planned, words};

use super::lex::Tok;

/// Words that carry no meaning in any request.
#[rustfmt::skip]
const FILLERS: &[&str] = &[
    "the", "a", "an", "of", "for", "from", "about", "me", "us", "my", "our", "your", "please",
    "named", "called", "now", "right", "currently", "just", "some", "there", "here", "again",
    "thanks", "thx", "asap",
];

/// Words that refer back to the thread's last object.
const PRONOUNS: &[&str] = &["it", "its", "that", "this", "them", "they", "same"];

/// Words that are valid Kubernetes names but, in a sentence, never name an object: left
/// over, they make the request not understood rather than aim it at an object called "all".
#[rustfmt::skip]
pub(super) const NOT_NAMES: &[&str] = &[
    "and", "or", "then", "also", "but", "not", "nor", "so", "to", "in", "on", "at", "by", "into",
    "onto", "with", "without", "i", "we", "you", "he", "she", "is", "are", "was", "were", "be",
    "been", "am", "what", "why", "how", "when", "who", "where", "which", "whose", "should",
    "can", "could", "would", "will", "shall", "may", "might", "must", "do", "does", "did",
    "done", "if", "yes", "no", "ok", "all", "every", "everything", "each", "any", "anything",
    "something", "none", "nothing", "everyone", "sorted", "sort", "order", "please", "thanks",
];

/// Kind short names that are also English words, so are not kinds in English text.
const NOT_KINDS_IN_ENGLISH: &[&str] =
    &["no", "limits", "quota", "pc", "sc", "sa", "ing", "ep", "ev"];

/// A kind word in English text.
pub(super) fn kind_word(w: &str) -> Option<Kind> {
    if NOT_KINDS_IN_ENGLISH.contains(&w) {
        return None;
    }
    target::kind_of(w)
}

/// A name as written in the request.
#[derive(Clone, Copy, Debug)]
pub(super) struct Name<'a> {
    pub text: &'a str,
    /// Index of the word in the request.
    pub pos: usize,
    /// Came after "of" / "for" / "from" ("pods of payment-api").
    pub via_of: bool,
}

/// What a request is about.
#[derive(Debug, Default)]
pub(super) struct Subject<'a> {
    pub kind: Option<Kind>,
    /// The kind was written in the plural ("pods").
    pub plural: bool,
    /// Index of the kind word.
    pub kind_pos: usize,
    pub names: Vec<Name<'a>>,
    pub pronoun: bool,
}

/// Reads `toks`: `extra` is asked first at each word and returns how many words it took.
pub(super) fn collect<'a>(
    toks: &[Tok<'a>],
    fillers: &[&str],
    what: &str,
    mut extra: impl FnMut(&[Tok<'a>], usize) -> Result<usize, Planned>,
) -> Result<Subject<'a>, Planned> {
    let mut s = Subject::default();
    let mut via_of = false;
    let mut i = 0;
    while i < toks.len() {
        let used = extra(toks, i)?;
        if used > 0 {
            i += used;
            via_of = false;
            continue;
        }
        let w = toks[i].low;
        if FILLERS.contains(&w) || fillers.contains(&w) {
            via_of = matches!(w, "of" | "for" | "from" | "about");
            i += 1;
            continue;
        }
        // "that"/"this" point back only on their own ("restart that", "that one", "that pod");
        // "nodes that are not ready" is a relative clause.
        let next = toks.get(i + 1).map_or("", |t| t.low);
        let pointing = !matches!(w, "that" | "this")
            || next.is_empty()
            || next == "one"
            || kind_word(next).is_some();
        // "deploy/payment-api", as kubectl writes it.
        if let Some((k, n)) = w.split_once('/')
            && let Some(kind) = kind_word(k)
            && words::is_name(n)
        {
            if let Some(have) = &s.kind
                && *have != kind
            {
                return Err(Planned::Clarify(format!(
                    "You named two kinds, {} and {}. Which one do you mean?",
                    have.resource, kind.resource
                )));
            }
            s.plural = false;
            s.kind_pos = i;
            s.kind = Some(kind);
            s.names.push(Name {
                text: n,
                pos: i,
                via_of,
            });
            via_of = false;
            i += 1;
            continue;
        }
        if PRONOUNS.contains(&w) && pointing {
            s.pronoun = true;
        } else if PRONOUNS.contains(&w) {
            // a relative "that": no meaning of its own
        } else if let Some(kind) = kind_word(w) {
            if let Some(k) = &s.kind
                && *k != kind
            {
                return Err(Planned::Clarify(format!(
                    "You named two kinds, {} and {}. Which one do you mean?",
                    k.resource, kind.resource
                )));
            }
            s.plural = is_plural(w);
            s.kind_pos = i;
            s.kind = Some(kind);
        } else if words::is_name(w) && !NOT_NAMES.contains(&w) {
            s.names.push(Name {
                text: w,
                pos: i,
                via_of,
            });
        } else {
            return Err(reply::not_understood(
                &format!("I understood {what}, but not \"{}\"", toks[i].raw),
                Topic::General,
            ));
        }
        via_of = false;
        i += 1;
    }
    Ok(s)
}

fn is_plural(w: &str) -> bool {
    kinds::lookup(w).map_or(w.contains('.'), |k| {
        w == k.resource && k.resource != k.singular
    })
}

impl<'a> Subject<'a> {
    /// The one name, a question when several were given.
    pub(super) fn one_name(&self) -> Result<Option<&'a str>, Planned> {
        match self.names.as_slice() {
            [] => Ok(None),
            [n] => Ok(Some(n.text)),
            many => Err(Planned::Clarify(format!(
                "I see several names ({}). Which one do you mean?",
                many.iter().map(|n| n.text).collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// When no kind was named and the first name looks like a misspelt kind ("pdos"): the
    /// question back.
    pub(super) fn kind_typo(&self, alone: bool) -> Option<Planned> {
        if self.kind.is_some() {
            return None;
        }
        let first = self.names.first()?;
        if !alone && self.names.len() < 2 {
            return None;
        }
        kinds::suggest(first.text).map(|_| target::unknown_kind(first.text))
    }

    /// The thread's last object, for "it": checked against a kind the request names
    /// ("delete that pod" when the last object is a deployment is asked back).
    pub(super) fn last<'c>(&self, ctx: &PlanContext<'c>) -> Result<&'c ObjectRef, Planned> {
        let last = target::last_target(ctx)?;
        match &self.kind {
            Some(k) if k.resource != last.resource.as_str() => Err(Planned::Clarify(format!(
                "The last object here is {} {}, not a {}. Which {} do you mean?",
                singular(&last.resource),
                last.name,
                singular(&k.resource),
                singular(&k.resource)
            ))),
            _ => Ok(last),
        }
    }

    /// The explicit object: kind and name, or "it".
    pub(super) fn object(
        &self,
        ctx: &PlanContext<'_>,
        verb: &str,
    ) -> Result<Option<(Kind, String)>, Planned> {
        if let Some(p) = self.kind_typo(false) {
            return Err(p);
        }
        let name = self.one_name()?;
        match (&self.kind, name) {
            (Some(k), Some(n)) => Ok(Some((k.clone(), n.to_string()))),
            (None, Some(n)) => Err(which_kind(verb, n)),
            (_, None) if self.pronoun => {
                let last = self.last(ctx)?;
                Ok(Some((last_kind(last), last.name.clone())))
            }
            (Some(k), None) => Err(Planned::Clarify(format!(
                "{} which of the {}? Name one.",
                capital(verb),
                k.resource
            ))),
            (None, None) => Ok(None),
        }
    }
}

/// The kind of the thread's last object.
pub(super) fn last_kind(last: &ObjectRef) -> Kind {
    target::kind_of(&last.resource).unwrap_or(Kind {
        resource: last.resource.clone().into(),
        namespaced: target::namespaced(&last.resource),
    })
}

/// "delete which kind: deployment x or pod x?"
pub(super) fn which_kind(verb: &str, name: &str) -> Planned {
    Planned::Clarify(format!(
        "{} which kind: deployment {name} or pod {name}? Say e.g. \"{verb} deployment {name}\".",
        capital(verb)
    ))
}

/// "delete" → "Delete".
pub(super) fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A kind's singular name (`deployments` → `deployment`), for replies.
pub(super) fn singular(resource: &str) -> &str {
    crate::kinds::lookup(resource).map_or(resource, |k| k.singular)
}
