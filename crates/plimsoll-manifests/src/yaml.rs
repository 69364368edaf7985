//! A YAML stream as a tree of nodes that remember where they are written.
//!
//! libyaml-safer does the parsing: a safe Rust port of libyaml, the parser
//! behind PyYAML and Ruby's Psych, so a file is accepted or refused as the
//! ecosystem's tools do (the stricter YAML 1.2 parsers, saphyr and
//! yaml-rust2, refuse a flow list whose `]` is less indented than its items,
//! which real compose and Kubernetes files write). Its events carry byte
//! offsets; this module only keeps them as a tree. Aliases point at the anchored node itself, so a reference written
//! once under an anchor has one span however many places use it, and `<<`
//! merge keys are followed by [`Tree::get`].

use libyaml_safer::{EventData, Parser};

use crate::ParseError;

pub type NodeId = usize;

#[derive(Debug)]
pub enum Node {
    Scalar {
        value: String,
        /// Written without quotes (a plain `null` or `~` is no string).
        plain: bool,
        /// Byte range of the scalar as written, quotes included.
        span: (usize, usize),
    },
    Seq(Vec<NodeId>),
    Map(Vec<(NodeId, NodeId)>),
}

#[derive(Debug, Default)]
pub struct Tree {
    pub nodes: Vec<Node>,
    /// The root node of each document in the stream.
    pub docs: Vec<NodeId>,
}

struct Builder {
    tree: Tree,
    /// Open collections: the node, for a mapping the key waiting for its
    /// value, and its anchor, registered only when the collection ends (an
    /// alias inside its own anchor would make a cycle: it is an unknown
    /// anchor, as in libyaml's composer).
    stack: Vec<(NodeId, Option<NodeId>, Option<String>)>,
    anchors: std::collections::HashMap<String, NodeId>,
}

impl Builder {
    fn push(&mut self, node: Node, anchor: Option<String>) -> NodeId {
        let id = self.tree.nodes.len();
        self.tree.nodes.push(node);
        if let Some(a) = anchor {
            self.anchors.insert(a, id);
        }
        id
    }

    /// Attaches a finished node to whatever is open.
    fn attach(&mut self, id: NodeId) {
        let Some((open, key, _)) = self.stack.last_mut() else {
            self.tree.docs.push(id);
            return;
        };
        match &mut self.tree.nodes[*open] {
            Node::Seq(items) => items.push(id),
            Node::Map(entries) => match key.take() {
                None => *key = Some(id),
                Some(k) => entries.push((k, id)),
            },
            Node::Scalar { .. } => {}
        }
    }
}

/// Parses a YAML stream (any number of documents).
pub fn parse(text: &str) -> Result<Tree, ParseError> {
    // libyaml-safer 0.1.1 panics on some streams that end without a line
    // break (a quoted scalar running to the end of the file); a line break
    // added after the text moves no offset. Any other panic of the parser
    // is a parse error, never a crash of the run.
    let owned;
    let input = if text.ends_with('\n') {
        text
    } else {
        owned = format!("{text}\n");
        &owned
    };
    std::panic::catch_unwind(|| parse_events(input, text.len())).unwrap_or_else(|_| {
        Err(ParseError {
            message: "the YAML parser failed on this file".into(),
            offset: 0,
        })
    })
}

fn parse_events(text: &str, len: usize) -> Result<Tree, ParseError> {
    let mut b = Builder {
        tree: Tree::default(),
        stack: Vec::new(),
        anchors: Default::default(),
    };
    let mut input = text.as_bytes();
    let mut parser = Parser::new();
    parser.set_input_string(&mut input);
    let offset = |m: libyaml_safer::Mark| {
        let mut o = usize::try_from(m.index).unwrap_or(usize::MAX).min(len);
        while !text.is_char_boundary(o) {
            o -= 1;
        }
        o
    };
    loop {
        let ev = parser.parse().map_err(|e| ParseError {
            message: match e.context() {
                Some(c) => format!("{}, {c}", e.problem()),
                None => e.problem().to_string(),
            },
            offset: e.problem_mark().map(offset).unwrap_or(0),
        })?;
        match ev.data {
            EventData::Scalar {
                anchor,
                value,
                style,
                ..
            } => {
                let span = (offset(ev.start_mark), offset(ev.end_mark));
                let plain = style == libyaml_safer::ScalarStyle::Plain;
                let id = b.push(Node::Scalar { value, plain, span }, anchor);
                b.attach(id);
            }
            EventData::SequenceStart { anchor, .. } => {
                let id = b.push(Node::Seq(Vec::new()), None);
                b.stack.push((id, None, anchor));
            }
            EventData::MappingStart { anchor, .. } => {
                let id = b.push(Node::Map(Vec::new()), None);
                b.stack.push((id, None, anchor));
            }
            EventData::SequenceEnd | EventData::MappingEnd => {
                if let Some((id, _, anchor)) = b.stack.pop() {
                    if let Some(a) = anchor {
                        b.anchors.insert(a, id);
                    }
                    b.attach(id);
                }
            }
            EventData::Alias { anchor } => match b.anchors.get(&anchor) {
                Some(&id) => b.attach(id),
                None => {
                    return Err(ParseError {
                        message: format!("alias `*{anchor}` names no anchor before it"),
                        offset: offset(ev.start_mark),
                    });
                }
            },
            EventData::StreamEnd => break,
            _ => {}
        }
    }
    Ok(b.tree)
}

impl Tree {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The string value of a scalar node.
    pub fn str(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[id] {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The value under `key` in a mapping, following `<<` merge keys (a
    /// mapping or a list of mappings; keys written here win).
    pub fn get(&self, map: NodeId, key: &str) -> Option<NodeId> {
        self.entries(map)
            .into_iter()
            .find_map(|(k, v)| (k == key).then_some(v))
    }

    /// The entries of a mapping as (key text, value), merge keys expanded
    /// (a key written here hides a merged one). Each merged mapping is read
    /// once however often aliases repeat it, so a file of nested merges
    /// cannot make this exponential.
    pub fn entries(&self, map: NodeId) -> Vec<(&str, NodeId)> {
        let mut out: Vec<(&str, NodeId)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut queue = std::collections::VecDeque::from([map]);
        while let Some(m) = queue.pop_front() {
            let Node::Map(entries) = &self.nodes[m] else {
                continue;
            };
            if !seen.insert(m) {
                continue;
            }
            for &(k, v) in entries {
                match self.str(k) {
                    Some("<<") => match &self.nodes[v] {
                        Node::Map(_) => queue.push_back(v),
                        Node::Seq(items) => queue.extend(items.iter().copied()),
                        Node::Scalar { .. } => {}
                    },
                    Some(key) if !out.iter().any(|(k, _)| *k == key) => out.push((key, v)),
                    _ => {}
                }
            }
        }
        out
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self, seq: NodeId) -> &[NodeId] {
        match &self.nodes[seq] {
            Node::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self, id: NodeId) -> bool {
        matches!(self.nodes[id], Node::Map(_))
    }
}
