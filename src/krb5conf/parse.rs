//! MIT's profile syntax as krb5.conf uses it, line for line after MIT 1.20's prof_parse.c:
//! `[section]` headers (optionally `*` final), `name = value` relations, `name = {` … `}`
//! groups (the `{` may sit on the next line), `*` finals on tags and closing braces, `#`/`;`
//! comment lines, `"quoted"` values with `\n \t \b` escapes, and `include FILE` /
//! `includedir DIR` at the very start of a line. As in MIT, a `#` after a value is part of the
//! value, lines before the first section header are ignored, and an unclosed `{` at the end of
//! a file is accepted (kerbrds notes it as an oddity).

use std::path::{Path, PathBuf};

use super::model::{Include, Location, Node, NodeKind, Oddity, Profile, ProfileFile};

/// Include nesting MIT would follow forever; kerbrds stops here (and so cannot hang on a loop).
const MAX_INCLUDE_DEPTH: usize = 8;

/// What is wrong on the line, with MIT's own message (prof_err.et) where it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    SectionNotTop,
    SectionSyntax,
    RelationSyntax,
    ExtraCloseBrace,
    MissingOpenBrace,
    IncludeFile(String),
    IncludeDir(String),
    IncludeDepth,
    Read(String),
}

impl ErrorKind {
    fn mit_text(&self) -> String {
        match self {
            ErrorKind::SectionNotTop => "Profile section header not at top level".into(),
            ErrorKind::SectionSyntax => "Syntax error in profile section header".into(),
            ErrorKind::RelationSyntax => "Syntax error in profile relation".into(),
            ErrorKind::ExtraCloseBrace => "Extra closing brace in profile".into(),
            ErrorKind::MissingOpenBrace => "Missing open brace in profile".into(),
            ErrorKind::IncludeFile(e) => format!("Included profile file could not be read: {e}"),
            ErrorKind::IncludeDir(e) => {
                format!("Included profile directory could not be read: {e}")
            }
            ErrorKind::IncludeDepth => {
                format!("includes nested deeper than {MAX_INCLUDE_DEPTH} levels (an include loop?)")
            }
            ErrorKind::Read(e) => format!("cannot read: {e}"),
        }
    }
}

/// A file MIT would refuse ("Improper format of Kerberos configuration file while
/// initializing krb5 library"), with the file and line MIT does not name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {} (in: {text:?})", kind.mit_text())]
pub struct ParseError {
    pub location: Location,
    pub kind: ErrorKind,
    /// The offending line as written (lossy UTF-8, at most 200 characters).
    pub text: String,
}

/// Why no profile could be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// None of the `KRB5_CONFIG` files exist: MIT then runs with an empty profile.
    #[error("no krb5.conf: none of {} exists", list(.0))]
    Missing(Vec<PathBuf>),
    #[error(transparent)]
    Parse(#[from] ParseError),
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The environment MIT reads its configuration from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    /// `KRB5_CONFIG`: a colon-separated list of files (and, since MIT 1.14, directories).
    pub krb5_config: Option<String>,
    /// `KRB5CCNAME`, for the credential cache check.
    pub krb5ccname: Option<String>,
}

impl Env {
    pub fn from_process() -> Env {
        Env {
            krb5_config: std::env::var("KRB5_CONFIG").ok(),
            krb5ccname: std::env::var("KRB5CCNAME").ok(),
        }
    }

    /// The files MIT reads, in order (default /etc/krb5.conf).
    pub fn config_paths(&self) -> Vec<PathBuf> {
        match self.krb5_config.as_deref() {
            Some(v) if !v.is_empty() => v
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect(),
            _ => vec![PathBuf::from("/etc/krb5.conf")],
        }
    }
}

impl Profile {
    /// Loads what MIT would: every existing file of `KRB5_CONFIG` (or /etc/krb5.conf).
    pub fn load_default(env: &Env) -> Result<Profile, LoadError> {
        Profile::load_paths(&env.config_paths())
    }

    /// Loads one explicit file (as `KRB5_CONFIG=FILE` would).
    pub fn load_file(path: &Path) -> Result<Profile, LoadError> {
        Profile::load_paths(&[path.to_path_buf()])
    }

    pub fn load_paths(paths: &[PathBuf]) -> Result<Profile, LoadError> {
        let mut profile = Profile::default();
        for path in paths {
            if path.is_dir() {
                // KRB5_CONFIG may name a directory: its valid file names, sorted (MIT 1.14+).
                let names = dir_files(path).map_err(|e| ParseError {
                    location: Location {
                        file: path.clone(),
                        line: 0,
                    },
                    kind: ErrorKind::Read(e.to_string()),
                    text: String::new(),
                })?;
                for f in names {
                    profile.files.push(parse_path(&f)?);
                }
            } else if path.exists() {
                profile.files.push(parse_path(path)?);
            } else {
                profile.missing.push(path.clone());
            }
        }
        if profile.files.is_empty() {
            return Err(LoadError::Missing(profile.missing));
        }
        Ok(profile)
    }
}

/// Parses one file from disk (following its includes).
pub fn parse_path(path: &Path) -> Result<ProfileFile, ParseError> {
    let bytes = std::fs::read(path).map_err(|e| ParseError {
        location: Location {
            file: path.to_path_buf(),
            line: 0,
        },
        kind: ErrorKind::Read(e.to_string()),
        text: String::new(),
    })?;
    parse_bytes(path, &bytes)
}

/// Parses text as if read from `path` (includes are still read from disk).
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<ProfileFile, ParseError> {
    let mut file = ProfileFile {
        path: path.to_path_buf(),
        sections: Vec::new(),
        includes: Vec::new(),
        oddities: Vec::new(),
    };
    parse_into(&mut file, path, bytes, 0)?;
    Ok(file)
}

pub fn parse_str(path: &Path, text: &str) -> Result<ProfileFile, ParseError> {
    parse_bytes(path, text.as_bytes())
}

#[derive(PartialEq)]
enum State {
    InitComment,
    StdLine,
    GetOpenBrace,
}

/// C's isspace in the "C" locale.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

fn end_or_comment(s: &str) -> bool {
    s.is_empty() || s.starts_with('#') || s.starts_with(';')
}

/// Parses `bytes` into `file`'s tree, as MIT parses an included file into the same root.
fn parse_into(
    file: &mut ProfileFile,
    path: &Path,
    bytes: &[u8],
    depth: usize,
) -> Result<(), ParseError> {
    let mut state = State::InitComment;
    // Indices from the current section down to the innermost open group.
    let mut stack: Vec<usize> = Vec::new();
    let mut open_since: Vec<Location> = Vec::new();
    let text = String::from_utf8_lossy(bytes);
    for (i, raw) in text.split('\n').enumerate() {
        let at = Location {
            file: path.to_path_buf(),
            line: i + 1,
        };
        let line = raw.trim_end_matches(['\r', '\n']);
        let err = |kind| ParseError {
            location: at.clone(),
            kind,
            text: line.chars().take(200).collect(),
        };
        if let Some(rest) = directive(line, "includedir") {
            include(file, &at, rest, depth, true).map_err(&err)?;
            continue;
        }
        if let Some(rest) = directive(line, "include") {
            include(file, &at, rest, depth, false).map_err(&err)?;
            continue;
        }
        match state {
            State::InitComment => {
                if !line.starts_with('[') {
                    continue;
                }
                state = State::StdLine;
            }
            State::GetOpenBrace => {
                if !line.trim_start_matches(is_space).starts_with('{') {
                    return Err(err(ErrorKind::MissingOpenBrace));
                }
                state = State::StdLine;
                continue;
            }
            State::StdLine => {}
        }
        if line.starts_with(['#', ';']) {
            continue;
        }
        let cp = line.trim_start_matches(is_space);
        if end_or_comment(cp) {
            continue;
        }
        if let Some(header) = cp.strip_prefix('[') {
            if !open_since.is_empty() {
                return Err(err(ErrorKind::SectionNotTop));
            }
            let Some((name, after)) = header.split_once(']') else {
                return Err(err(ErrorKind::SectionSyntax));
            };
            let (is_final, after) = match after.strip_prefix('*') {
                Some(a) => (true, a),
                None => (false, after),
            };
            if !after.trim_start_matches(is_space).is_empty() {
                return Err(err(ErrorKind::SectionSyntax));
            }
            let idx = match file.sections.iter().position(|s| s.name == name) {
                Some(idx) => idx,
                None => {
                    file.sections.push(section(name, at.clone()));
                    file.sections.len() - 1
                }
            };
            file.sections[idx].is_final |= is_final;
            stack = vec![idx];
            continue;
        }
        if let Some(after) = cp.strip_prefix('}') {
            if open_since.is_empty() {
                return Err(err(ErrorKind::ExtraCloseBrace));
            }
            if after.starts_with('*') {
                current(file, &stack).is_final = true;
            }
            stack.pop();
            open_since.pop();
            continue;
        }
        let Some((tag, value)) = cp.split_once('=') else {
            return Err(err(ErrorKind::RelationSyntax));
        };
        if tag.is_empty() {
            return Err(err(ErrorKind::RelationSyntax));
        }
        // Whitespace may end the tag but nothing may follow it before '='.
        let tag = match tag.find(is_space) {
            Some(ws) if !tag[ws..].trim_matches(is_space).is_empty() => {
                return Err(err(ErrorKind::RelationSyntax));
            }
            Some(ws) => &tag[..ws],
            None => tag,
        };
        let value = value.trim_start_matches(is_space);
        let (name, tag_final) = match tag.find('*') {
            Some(star) => (&tag[..star], true),
            None => (tag, false),
        };
        let subsection = if let Some(quoted) = value.strip_prefix('"') {
            Some(NodeKind::Value(unquote(quoted)))
        } else if end_or_comment(value) {
            state = State::GetOpenBrace;
            None
        } else if let Some(after) = value.strip_prefix('{') {
            if !end_or_comment(after.trim_start_matches(is_space)) {
                return Err(err(ErrorKind::RelationSyntax));
            }
            None
        } else {
            Some(NodeKind::Value(
                value.trim_end_matches(is_space).to_string(),
            ))
        };
        if stack.is_empty() {
            // Unreachable in practice (state InitComment skips lines until a header), kept so
            // that no input can index an empty stack.
            return Err(err(ErrorKind::RelationSyntax));
        }
        match subsection {
            Some(kind) => current(file, &stack).children_mut().push(Node {
                name: name.to_string(),
                is_final: tag_final,
                location: at.clone(),
                kind,
            }),
            None => {
                // A repeated group (`EXAMPLE.COM = {` twice) merges into the first, as MIT does.
                let parent = current(file, &stack);
                let children = parent.children_mut();
                let idx = match children
                    .iter()
                    .position(|c| c.name == name && matches!(c.kind, NodeKind::Section(_)))
                {
                    Some(idx) => idx,
                    None => {
                        children.push(section(name, at.clone()));
                        children.len() - 1
                    }
                };
                children[idx].is_final |= tag_final;
                stack.push(idx);
                open_since.push(at.clone());
            }
        }
    }
    for at in open_since {
        file.oddities.push(Oddity {
            location: at,
            message: "this group is never closed with '}' (MIT accepts it: everything after it \
                      up to the next [section] belongs to the group)"
                .into(),
        });
    }
    Ok(())
}

fn section(name: &str, location: Location) -> Node {
    Node {
        name: name.to_string(),
        is_final: false,
        location,
        kind: NodeKind::Section(Vec::new()),
    }
}

impl Node {
    fn children_mut(&mut self) -> &mut Vec<Node> {
        if let NodeKind::Value(_) = self.kind {
            self.kind = NodeKind::Section(Vec::new());
        }
        match &mut self.kind {
            NodeKind::Section(c) => c,
            NodeKind::Value(_) => unreachable!("converted to a section just above"),
        }
    }
}

/// The node `stack` points at: a top-level section, then nested group indices.
fn current<'a>(file: &'a mut ProfileFile, stack: &[usize]) -> &'a mut Node {
    let mut node = &mut file.sections[stack[0]];
    for &i in &stack[1..] {
        node = &mut node.children_mut()[i];
    }
    node
}

/// `include`/`includedir` must start the line and be followed by whitespace (MIT).
fn directive<'a>(line: &'a str, word: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(word)?;
    if !rest.starts_with(is_space) {
        return None;
    }
    Some(rest.trim_matches(is_space))
}

/// Reads an `include FILE` (`dir == false`) or `includedir DIR` into the same tree.
fn include(
    file: &mut ProfileFile,
    at: &Location,
    target: &str,
    depth: usize,
    dir: bool,
) -> Result<(), ErrorKind> {
    if depth >= MAX_INCLUDE_DEPTH {
        return Err(ErrorKind::IncludeDepth);
    }
    let path = PathBuf::from(target);
    let files = if dir {
        dir_files(&path).map_err(|e| ErrorKind::IncludeDir(format!("{target}: {e}")))?
    } else {
        vec![path.clone()]
    };
    file.includes.push(Include {
        directive: at.clone(),
        target: path,
        files: files.clone(),
    });
    for f in files {
        let bytes = std::fs::read(&f)
            .map_err(|e| ErrorKind::IncludeFile(format!("{}: {e}", f.display())))?;
        parse_into(file, &f, &bytes, depth + 1)
            .map_err(|e| ErrorKind::IncludeFile(e.to_string()))?;
    }
    Ok(())
}

/// The files of an includedir MIT reads, sorted: names made only of letters, digits, `-` and
/// `_`, or ending in `.conf` (MIT's valid_name; editor backups such as `x.conf~` are skipped).
pub fn dir_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            n.ends_with(".conf")
                || n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .collect();
    names.sort();
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

/// MIT's parse_quoted_string: up to the closing quote, `\n \t \b` escapes, `\x` → `x`.
fn unquote(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('b') => out.push('\x08'),
                Some(o) => out.push(o),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}
