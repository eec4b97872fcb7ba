//! The commands that change items: `add`, `set`, `unset`, and `get`; which items a
//! command names (numbers, `*id`, names, `[find ...]`).

use super::*;

/// Notes a warning for every inert parameter set to something other than its default.
fn warn_inert(session: &mut Session, menu: &Menu, vals: &BTreeMap<String, String>) {
    for (k, v) in vals {
        if menu.param(k).and_then(|p| p.default) == Some(v.as_str()) {
            continue;
        }
        let w = if let Some(why) = crate::config::inert::inert(menu.path, k) {
            crate::config::inert::warning(menu.path, k, why)
        } else if let Some((part, why)) = crate::config::inert::inert_value(menu.path, k, v) {
            crate::config::inert::warning(menu.path, &format!("{k}={part}"), why)
        } else {
            continue;
        };
        if !session.warnings.contains(&w) {
            session.warnings.push(w);
        }
    }
}

pub(super) fn add(
    ctx: &mut Ctx<'_>,
    mi: usize,
    menu: &'static Menu,
    toks: &[Tok],
    vpos: Pos,
) -> Result<(String, bool), Error> {
    if !menu.can_add {
        return Err(Error::at(
            vpos,
            format!("items cannot be added to {}", menu.path_text()),
        ));
    }
    let a = Args::parse(toks)?;
    if let Some((_, p)) = &a.where_ {
        return Err(Error::at(*p, "add takes no where"));
    }
    let (mut vals, extras, rest) = values(ctx.store, menu, &a, &["place-before", "copy-from"])?;
    warn_inert(ctx.session, menu, &vals);
    if let Some((w, p, _)) = rest.first() {
        return Err(Error::at(*p, format!("unexpected argument {w:?} for add")));
    }
    for (n, p) in &a.unset {
        // Verbose exports write unset properties as !name: nothing to set.
        param_name(menu, n, &[], *p)?;
    }
    let mut before = None;
    for (name, raw, pos) in extras {
        let ids = items(ctx, mi, &[(raw.clone(), pos, false)], &[])?;
        let id = *ids
            .first()
            .ok_or_else(|| Error::at(pos, format!("no such item {raw:?}")))?;
        let list = ctx.store.items(mi);
        if name == "place-before" {
            before = list.iter().position(|i| i.id == id);
        } else if let Some(src) = list.iter().find(|i| i.id == id) {
            for (k, v) in &src.values {
                if menu.param(k).is_some_and(|p| !p.read_only) {
                    vals.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    if let Some((_, p)) = a.finds.first() {
        return Err(Error::at(*p, "add takes no item references"));
    }
    ctx.store
        .add(mi, vals, before)
        .map_err(|e| Error::at(vpos, e))?;
    Ok((String::new(), true))
}

pub(super) fn set(
    ctx: &mut Ctx<'_>,
    mi: usize,
    menu: &'static Menu,
    toks: &[Tok],
    vpos: Pos,
) -> Result<(String, bool), Error> {
    let a = Args::parse(toks)?;
    if let Some((_, p)) = &a.where_ {
        return Err(Error::at(
            *p,
            "set takes items, not where: set [find where ...] x=y",
        ));
    }
    let (vals, _, rest) = values(ctx.store, menu, &a, &[])?;
    warn_inert(ctx.session, menu, &vals);
    let mut unset = Vec::new();
    for (n, p) in &a.unset {
        unset.push(param_name(menu, n, &[], *p)?.to_string());
    }
    if vals.is_empty() && unset.is_empty() {
        return Err(Error::at(
            vpos,
            "set needs at least one parameter to change",
        ));
    }
    if menu.kind == MenuKind::Settings {
        if let Some((w, p, _)) = rest.first() {
            return Err(Error::at(
                *p,
                format!(
                    "unexpected argument {w:?}: {} has no items",
                    menu.path_text()
                ),
            ));
        }
        ctx.store
            .set_settings(mi, &vals, &unset)
            .map_err(|e| Error::at(vpos, e))?;
        return Ok((String::new(), true));
    }
    let ids = items_required(ctx, mi, &rest, &a.finds, vpos)?;
    ctx.store
        .set(mi, &ids, &vals, &unset)
        .map_err(|e| Error::at(vpos, e))?;
    Ok((String::new(), true))
}

pub(super) fn unset(
    ctx: &mut Ctx<'_>,
    mi: usize,
    menu: &'static Menu,
    toks: &[Tok],
    vpos: Pos,
) -> Result<(String, bool), Error> {
    let mut a = Args::parse(toks)?;
    let mut props = Vec::new();
    if let Some((v, p)) = a.take_named("value-name") {
        props.push(param_name(menu, &v, &[], p)?.to_string());
    }
    a.no_named("unset")?;
    let mut rest = Vec::new();
    for (w, p, q) in a.bare.clone() {
        match (
            menu.kind == MenuKind::Settings || !rest.is_empty() || !a.finds.is_empty(),
            param_name(menu, &w, &[], p),
        ) {
            (true, Ok(n)) if props.is_empty() || menu.kind == MenuKind::Settings => {
                props.push(n.to_string())
            }
            _ => rest.push((w, p, q)),
        }
    }
    if props.is_empty() {
        return Err(Error::at(
            vpos,
            "unset needs the parameter: unset ITEMS value-name=NAME",
        ));
    }
    if menu.kind == MenuKind::Settings {
        ctx.store
            .set_settings(mi, &BTreeMap::new(), &props)
            .map_err(|e| Error::at(vpos, e))?;
    } else {
        let ids = items_required(ctx, mi, &rest, &a.finds, vpos)?;
        ctx.store
            .set(mi, &ids, &BTreeMap::new(), &props)
            .map_err(|e| Error::at(vpos, e))?;
    }
    Ok((String::new(), true))
}

pub(super) fn get(
    ctx: &mut Ctx<'_>,
    mi: usize,
    menu: &'static Menu,
    toks: &[Tok],
    vpos: Pos,
) -> Result<String, Error> {
    let mut a = Args::parse(toks)?;
    let named = a.take_named("value-name");
    a.no_named("get")?;
    let mut bare = a.bare.clone();
    let (prop, ppos) = match named {
        Some(x) => x,
        None => match bare.pop() {
            Some((w, p, _)) => (w, p),
            None => return Err(Error::at(vpos, "get needs a property: get ITEM NAME")),
        },
    };
    let item = if menu.kind == MenuKind::Settings {
        ctx.store.settings(mi).cloned()
    } else {
        let ids = items_required(ctx, mi, &bare, &a.finds, vpos)?;
        let list = ctx.store.items(mi);
        list.iter().find(|i| Some(&i.id) == ids.first()).cloned()
    };
    let item = item.ok_or_else(|| Error::at(vpos, "no such item"))?;
    let name = param_name(menu, &prop, &[], ppos)?;
    Ok(format!("{}\n", item.get(mi, name).unwrap_or("")))
}

/// Item references: numbers from the last print, `*id`, names, `[find ...]`.
pub(super) fn items(
    ctx: &mut Ctx<'_>,
    mi: usize,
    words: &[(String, Pos, bool)],
    finds: &[(Vec<Tok>, Pos)],
) -> Result<Vec<u32>, Error> {
    let menu = &MENUS[mi];
    let mut out = Vec::new();
    {
        let list = ctx.store.items(mi);
        for (w, p, _) in words {
            for part in w.split(',') {
                let id = if let Some(hex) = part.strip_prefix('*') {
                    let id = u32::from_str_radix(hex, 16)
                        .map_err(|_| Error::at(*p, format!("bad item id {part:?}")))?;
                    list.iter().find(|i| i.id == id).map(|i| i.id)
                } else if let Ok(n) = part.parse::<usize>() {
                    match ctx.session.numbering.get(&mi) {
                        Some(ids) => ids
                            .get(n)
                            .copied()
                            .filter(|id| list.iter().any(|i| i.id == *id)),
                        None => list.get(n).map(|i| i.id),
                    }
                } else {
                    menu.key.and_then(|k| {
                        list.iter()
                            .find(|i| i.values.get(k).map(String::as_str) == Some(part))
                            .map(|i| i.id)
                    })
                };
                match id {
                    Some(id) => out.push(id),
                    None => {
                        return Err(Error::at(
                            *p,
                            format!("no such item {part:?} in {}", menu.path_text()),
                        ))
                    }
                }
            }
        }
    }
    for (ftoks, p) in finds {
        let Some(Tok::Word { text, .. }) = ftoks.first() else {
            return Err(Error::at(*p, "expected find inside [ ]"));
        };
        if !"find".starts_with(text.as_str()) || text.len() < 2 {
            return Err(Error::at(
                *p,
                format!("only [find ...] is supported inside [ ], not {text:?}"),
            ));
        }
        let end = ftoks.last().map(Tok::pos).unwrap_or(*p);
        out.extend(find(ctx, mi, &ftoks[1..], end)?);
    }
    Ok(out)
}

pub(super) fn items_required(
    ctx: &mut Ctx<'_>,
    mi: usize,
    words: &[(String, Pos, bool)],
    finds: &[(Vec<Tok>, Pos)],
    vpos: Pos,
) -> Result<Vec<u32>, Error> {
    if words.is_empty() && finds.is_empty() {
        return Err(Error::at(
            vpos,
            "which items? give numbers, names, *ids or [find ...]",
        ));
    }
    items(ctx, mi, words, finds)
}
