//! How a flow's steps follow each other. A flow file is a straight line (each step after the
//! one before); Wix's automation is a tree: roots, and after each node its successors, a
//! condition's true and false paths, a SPLIT's paths. Steps are kept in one list (the order
//! the tree is read in, depth first); the tree names them by their place in it.

/// What follows a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Links {
    /// These run (in parallel when more than one) once the step is done.
    Then(Vec<usize>),
    /// A condition: `yes` when it is true, `no` when it is false.
    Branch { yes: Vec<usize>, no: Vec<usize> },
    /// A SPLIT: every path runs, in parallel; each path has a name and at most one step.
    Paths(Vec<(String, Option<usize>)>),
}

impl Links {
    /// Every step that may follow, in order.
    pub fn all(&self) -> Vec<usize> {
        match self {
            Links::Then(n) => n.clone(),
            Links::Branch { yes, no } => yes.iter().chain(no).copied().collect(),
            Links::Paths(p) => p.iter().filter_map(|(_, n)| *n).collect(),
        }
    }
}

/// The shape of a flow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    /// The first steps (run in parallel when more than one).
    pub roots: Vec<usize>,
    /// Per step, what follows it.
    pub links: Vec<Links>,
    /// Per step, the one before it (None: a root, or a step no root leads to).
    pub parent: Vec<Option<usize>>,
}

/// Which side of its parent a step is on, in words for the drawing ("if true", "path: Notify
/// team"); None for the plain successor of an action, delay or other step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Side {
    Yes,
    No,
    Path(String),
}

impl Tree {
    /// A straight line of `n` steps.
    pub fn line(n: usize) -> Tree {
        Tree {
            roots: if n == 0 { vec![] } else { vec![0] },
            links: (0..n)
                .map(|i| Links::Then(if i + 1 < n { vec![i + 1] } else { vec![] }))
                .collect(),
            parent: (0..n).map(|i| i.checked_sub(1)).collect(),
        }
    }

    /// A tree from each step's links (the parents are worked out).
    pub fn new(roots: Vec<usize>, links: Vec<Links>) -> Tree {
        let mut parent = vec![None; links.len()];
        for (i, l) in links.iter().enumerate() {
            for c in l.all() {
                if let Some(p) = parent.get_mut(c) {
                    p.get_or_insert(i);
                }
            }
        }
        Tree {
            roots,
            links,
            parent,
        }
    }

    /// Whether it is a straight line from its first step (a flow file's shape).
    pub fn is_line(&self) -> bool {
        self.roots.len() <= 1
            && self.links.iter().all(|l| match l {
                Links::Then(n) => n.len() <= 1,
                _ => false,
            })
    }

    /// What follows step `i`.
    pub fn next(&self, i: usize) -> Vec<usize> {
        self.links.get(i).map(Links::all).unwrap_or_default()
    }

    /// Step `i` and every step below it, depth first (each once, whatever the links say).
    pub fn subtree(&self, i: usize) -> Vec<usize> {
        let mut out = vec![];
        let mut seen = vec![false; self.links.len()];
        let mut todo = vec![i];
        while let Some(s) = todo.pop() {
            if s >= seen.len() || seen[s] {
                continue;
            }
            seen[s] = true;
            out.push(s);
            let mut next = self.next(s);
            next.reverse();
            todo.extend(next);
        }
        out
    }

    /// Step `i`'s ancestors, nearest first.
    pub fn ancestors(&self, i: usize) -> Vec<usize> {
        let mut out = vec![];
        let mut at = self.parent.get(i).copied().flatten();
        while let Some(p) = at {
            if out.contains(&p) || p == i {
                break;
            }
            out.push(p);
            at = self.parent.get(p).copied().flatten();
        }
        out
    }

    /// How deep step `i` sits (a root: 0).
    pub fn depth(&self, i: usize) -> usize {
        self.ancestors(i).len()
    }

    /// Which side of its parent step `i` is on.
    pub fn side(&self, i: usize) -> Option<Side> {
        let p = self.parent.get(i).copied().flatten()?;
        match self.links.get(p)? {
            Links::Then(_) => None,
            Links::Branch { yes, .. } if yes.contains(&i) => Some(Side::Yes),
            Links::Branch { .. } => Some(Side::No),
            Links::Paths(paths) => paths
                .iter()
                .find(|(_, n)| *n == Some(i))
                .map(|(name, _)| Side::Path(name.clone())),
        }
    }

    /// Every step a root leads to, in the order a depth-first walk meets them.
    pub fn reached(&self) -> Vec<usize> {
        let mut out = vec![];
        for r in &self.roots {
            for s in self.subtree(*r) {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{Links, Side, Tree};

    #[test]
    fn a_line_is_a_tree_with_one_step_after_another() {
        let t = Tree::line(3);
        assert!(t.is_line());
        assert_eq!(t.roots, vec![0]);
        assert_eq!(t.next(0), vec![1]);
        assert_eq!(t.next(2), Vec::<usize>::new());
        assert_eq!(t.ancestors(2), vec![1, 0]);
        assert_eq!(t.depth(2), 2);
        assert_eq!(t.side(1), None);
        assert_eq!(Tree::line(0).roots, Vec::<usize>::new());
    }

    #[test]
    fn a_condition_and_a_split_say_which_side_each_step_is_on() {
        // 0: condition → yes 1, no 2; 2: split → "A" 3, "B" 4, "empty" none; 5: orphan.
        let t = Tree::new(
            vec![0],
            vec![
                Links::Branch {
                    yes: vec![1],
                    no: vec![2],
                },
                Links::Then(vec![]),
                Links::Paths(vec![
                    ("A".into(), Some(3)),
                    ("B".into(), Some(4)),
                    ("empty".into(), None),
                ]),
                Links::Then(vec![]),
                Links::Then(vec![]),
                Links::Then(vec![]),
            ],
        );
        assert!(!t.is_line());
        assert_eq!(t.side(1), Some(Side::Yes));
        assert_eq!(t.side(2), Some(Side::No));
        assert_eq!(t.side(4), Some(Side::Path("B".into())));
        assert_eq!(t.subtree(2), vec![2, 3, 4]);
        assert_eq!(t.reached(), vec![0, 1, 2, 3, 4]);
        assert_eq!(t.parent[5], None);
        assert_eq!(t.depth(4), 2);
    }

    #[test]
    fn a_cycle_in_the_links_does_not_loop() {
        let t = Tree::new(vec![0], vec![Links::Then(vec![1]), Links::Then(vec![0])]);
        assert_eq!(t.subtree(0), vec![0, 1]);
        assert!(t.ancestors(0).len() <= 2);
    }
}
