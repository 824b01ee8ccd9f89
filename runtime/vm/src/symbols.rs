//! Interned names of symbols and keywords. Ids are handed out in order of first use, so the
//! same program run the same way interns the same ids.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The interner.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Symbols {
    names: Vec<String>,
    ids: BTreeMap<String, u32>,
}

impl Symbols {
    /// The id of `name`, interning it on first use.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The name of `id`.
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("?", String::as_str)
    }

    /// How many names are interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no name is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The id of `name` if it was interned.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
}
