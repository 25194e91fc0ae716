//! The AlarmRule of composite alarms:
//!
//! ```text
//! rule := rule OR rule | rule AND rule | NOT rule | ( rule ) | TRUE | FALSE
//!       | ALARM(name) | OK(name) | INSUFFICIENT_DATA(name)
//! ```
//! `AND` binds tighter than `OR`; a name is an alarm name or ARN, quoted with double
//! quotes or bare.

use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    True,
    False,
    /// The alarm (by name) is in this state.
    State(&'static str, String),
    Not(Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Or(Box<Rule>, Box<Rule>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Name(String),
    LParen,
    RParen,
}

/// `arn:aws:cloudwatch:us-east-1:123456789012:alarm:name` -> `name`.
pub fn name_of(reference: &str) -> &str {
    match reference.split_once(":alarm:") {
        Some((prefix, name)) if prefix.starts_with("arn:") => name,
        _ => reference,
    }
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                // A function's argument: a quoted or bare name up to ')'.
                let after_function = matches!(out.last(), Some(Tok::Word(w)) if ["ALARM", "OK", "INSUFFICIENT_DATA"].contains(&w.as_str()));
                out.push(Tok::LParen);
                i += 1;
                if after_function {
                    while i < chars.len() && chars[i].is_whitespace() {
                        i += 1;
                    }
                    let name = if chars.get(i) == Some(&'"') {
                        i += 1;
                        let start = i;
                        while i < chars.len() && chars[i] != '"' {
                            i += 1;
                        }
                        if i >= chars.len() {
                            return Err("a quoted alarm name is not closed".into());
                        }
                        let n: String = chars[start..i].iter().collect();
                        i += 1;
                        n
                    } else {
                        let start = i;
                        while i < chars.len() && chars[i] != ')' {
                            i += 1;
                        }
                        chars[start..i].iter().collect::<String>().trim().to_string()
                    };
                    if name.is_empty() {
                        return Err("an alarm name is missing".into());
                    }
                    out.push(Tok::Name(name));
                }
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            }
            other => return Err(format!("the character '{other}' is not expected")),
        }
    }
    Ok(out)
}

struct P {
    toks: Vec<Tok>,
    pos: usize,
}

impl P {
    fn word(&mut self, w: &str) -> bool {
        if matches!(self.toks.get(self.pos), Some(Tok::Word(x)) if x == w) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn or(&mut self) -> Result<Rule, String> {
        let mut lhs = self.and()?;
        while self.word("OR") {
            lhs = Rule::Or(Box::new(lhs), Box::new(self.and()?));
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Rule, String> {
        let mut lhs = self.not()?;
        while self.word("AND") {
            lhs = Rule::And(Box::new(lhs), Box::new(self.not()?));
        }
        Ok(lhs)
    }

    fn not(&mut self) -> Result<Rule, String> {
        if self.word("NOT") {
            return Ok(Rule::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Rule, String> {
        let tok = self.toks.get(self.pos).cloned().ok_or("the rule ends unexpectedly")?;
        self.pos += 1;
        match tok {
            Tok::LParen => {
                let r = self.or()?;
                if self.toks.get(self.pos) != Some(&Tok::RParen) {
                    return Err("a ')' is missing".into());
                }
                self.pos += 1;
                Ok(r)
            }
            Tok::Word(w) if w == "TRUE" => Ok(Rule::True),
            Tok::Word(w) if w == "FALSE" => Ok(Rule::False),
            Tok::Word(w) => {
                let state = match w.as_str() {
                    "ALARM" => "ALARM",
                    "OK" => "OK",
                    "INSUFFICIENT_DATA" => "INSUFFICIENT_DATA",
                    other => return Err(format!("{other} is not a function: use ALARM, OK or INSUFFICIENT_DATA")),
                };
                let (Some(Tok::LParen), Some(Tok::Name(name)), Some(Tok::RParen)) = (
                    self.toks.get(self.pos).cloned(),
                    self.toks.get(self.pos + 1).cloned(),
                    self.toks.get(self.pos + 2).cloned(),
                ) else {
                    return Err(format!("{w} takes one alarm name in parentheses"));
                };
                self.pos += 3;
                Ok(Rule::State(state, name_of(&name).to_string()))
            }
            Tok::Name(n) => Err(format!("'{n}' is not expected")),
            Tok::RParen => Err("')' is not expected".into()),
        }
    }
}

pub fn parse(src: &str) -> Result<Rule, String> {
    let mut p = P { toks: lex(src)?, pos: 0 };
    if p.toks.is_empty() {
        return Err("the rule is empty".into());
    }
    let r = p.or()?;
    if p.pos < p.toks.len() {
        return Err("the rule continues after its end".into());
    }
    Ok(r)
}

impl Rule {
    /// The alarms the rule refers to.
    pub fn alarms(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut BTreeSet<String>) {
        match self {
            Rule::State(_, n) => {
                out.insert(n.clone());
            }
            Rule::Not(r) => r.collect(out),
            Rule::And(a, b) | Rule::Or(a, b) => {
                a.collect(out);
                b.collect(out);
            }
            Rule::True | Rule::False => {}
        }
    }

    /// Evaluates the rule against the alarms' current states (an unknown alarm counts
    /// as in no state).
    pub fn eval(&self, state_of: &dyn Fn(&str) -> Option<String>) -> bool {
        match self {
            Rule::True => true,
            Rule::False => false,
            Rule::State(s, name) => state_of(name).as_deref() == Some(*s),
            Rule::Not(r) => !r.eval(state_of),
            Rule::And(a, b) => a.eval(state_of) && b.eval(state_of),
            Rule::Or(a, b) => a.eval(state_of) || b.eval(state_of),
        }
    }

    /// The alarms whose states make the rule true (the "triggering" ones): every
    /// satisfied `STATE(name)` atom that is not under a NOT.
    pub fn satisfied(&self, state_of: &dyn Fn(&str) -> Option<String>, out: &mut BTreeSet<String>) {
        match self {
            Rule::State(s, name) if state_of(name).as_deref() == Some(*s) => {
                out.insert(name.clone());
            }
            Rule::And(a, b) | Rule::Or(a, b) => {
                a.satisfied(state_of, out);
                b.satisfied(state_of, out);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(name: &str) -> Option<String> {
        match name {
            "cpu" => Some("ALARM".into()),
            "disk" => Some("OK".into()),
            "net" => Some("INSUFFICIENT_DATA".into()),
            _ => None,
        }
    }

    #[test]
    fn the_documented_rules() {
        let r = parse("ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)").unwrap();
        assert_eq!(r.alarms().into_iter().collect::<Vec<_>>(), vec!["CPUUtilizationTooHigh", "DiskReadOpsTooHigh"]);
        let r = parse("(ALARM(\"cpu\") OR ALARM(\"disk\")) AND OK(\"disk\")").unwrap();
        assert!(r.eval(&state));
        assert!(parse("ALARM(cpu) AND NOT ALARM(disk)").unwrap().eval(&state));
        assert!(!parse("ALARM(cpu) AND NOT OK(disk)").unwrap().eval(&state));
        assert!(parse("INSUFFICIENT_DATA(net)").unwrap().eval(&state));
        assert!(parse("TRUE").unwrap().eval(&state));
        assert!(!parse("FALSE OR ALARM(gone)").unwrap().eval(&state));
        // OR binds looser than AND.
        assert!(parse("ALARM(cpu) OR ALARM(disk) AND FALSE").unwrap().eval(&state));
        let arn = parse("ALARM(\"arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu\")").unwrap();
        assert_eq!(arn, Rule::State("ALARM", "cpu".into()));
        let mut why = BTreeSet::new();
        parse("ALARM(cpu) OR ALARM(disk) OR OK(disk)").unwrap().satisfied(&state, &mut why);
        assert_eq!(why.into_iter().collect::<Vec<_>>(), vec!["cpu", "disk"]);
        let spaced = parse("ALARM( \"my alarm\" ) AND OK(other alarm)").unwrap();
        assert_eq!(spaced.alarms().into_iter().collect::<Vec<_>>(), vec!["my alarm", "other alarm"]);
    }

    #[test]
    fn malformed_rules() {
        for bad in [
            "",
            "ALARM(a) AND",
            "ALARM()",
            "ALARMS(a)",
            "ALARM(a) OK(b)",
            "(ALARM(a)",
            "ALARM a",
            "alarm(a)",
            "ALARM(\"a)",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
