//! The command tree as data: every menu is a table of parameters with types, defaults and
//! flags. Adding a menu is adding one [`Menu`] value to [`crate::config::menus::MENUS`].

/// What another menu's item a reference must name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefTo {
    /// An interface (port, bridge) by name; with `lists`, also the interface lists
    /// `all`, `none`, `dynamic`, `static`.
    Interface {
        /// Whether interface lists are accepted.
        lists: bool,
    },
    /// A VRF by name.
    Vrf,
    /// A routing table by name.
    Table,
    /// A BGP template by name.
    BgpTemplate,
    /// An OSPF instance by name.
    OspfInstance,
    /// An OSPF area by name.
    OspfArea,
    /// An interface list by name (`/interface list`, or a builtin: `all`, `none`,
    /// `dynamic`, `static`).
    InterfaceList,
}

/// The type of a parameter's value, which decides how it is checked and canonicalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (printed quoted in detail views).
    Text,
    /// An item name: non-empty, no control characters (printed quoted).
    Name,
    /// A name printed without quotes (chains, marks, list names).
    Word,
    /// `yes`/`no` (`true`/`false` accepted).
    Bool,
    /// A flag argument: present means yes (`fib`, `blackhole`, `passive`).
    Switch,
    /// An integer in a range.
    Int(u64, u64),
    /// An IPv4 address (`10.1` shorthand accepted).
    Ip,
    /// An IPv4 prefix; a bare address means /32; host bits are cleared.
    Prefix,
    /// An IPv4 address, or a prefix of peers (`remote.address` of a listening connection);
    /// a /32 is written as a plain address.
    AddrOrPrefix,
    /// An IPv4 address with an optional length, host bits kept (`/ip address`).
    IfAddress,
    /// A duration: `10s`, `3m`, `1d2h`, `100ms`.
    Time,
    /// A duration or `infinity`.
    TimeOrInfinity,
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
    /// A comma list of one of a fixed set of words.
    EnumList(&'static [&'static str]),
    /// A comma list of IPv4 addresses.
    IpList,
    /// A comma list of IPv4 prefixes.
    PrefixList,
    /// A reference to another item.
    Ref(RefTo),
    /// A comma list of references.
    RefList(RefTo),
    /// A route's gateways: comma list of `IP`, `IP@table`, `IP%interface`, `interface`,
    /// `interface@vrf`.
    Gateway,
    /// Route targets or a route distinguisher: `ASN:nn` or `IPv4:nn`; a list when `list`.
    RouteTarget {
        /// Whether a comma list is accepted.
        list: bool,
    },
    /// An MPLS label range `first-last`.
    LabelRange,
    /// An AS number, plain or dotted (`65000`, `1.10`).
    AsNum,
    /// An IPv4 address or the name of a `/routing id` entry or a VRF (`main`).
    RouterId,
    /// A firewall address matcher: `[!]prefix` or `[!]a.b.c.d-e.f.g.h`.
    FwAddress,
    /// A firewall interface matcher: `[!]interface`.
    FwInterface,
    /// A firewall interface list matcher: `[!]list` (a list of `/interface list` or a
    /// builtin one).
    FwInterfaceList,
    /// A firewall port matcher: `[!]80,443,1000-2000`.
    FwPorts,
    /// A firewall protocol: name or number, optionally negated.
    FwProtocol,
    /// A firewall list matcher: `[!]a,b` of fixed words.
    FwEnumList(&'static [&'static str]),
    /// A routing mark matcher or setter: a table name (negatable for matchers).
    FwTable,
    /// An IPv4 address, optionally in a VRF: `a.b.c.d@vrf1` (a tunnel's underlay). The VRF
    /// need not exist yet (an export lists tunnels before the VRFs that name them).
    IpAtVrf,
    /// A word (`auto`, `inherit`) or an integer in a range.
    IntOr(&'static str, u64, u64),
    /// A keepalive: `interval,retries` (`10s,10`), or an empty value for none.
    Keepalive,
    /// A VRF by name, not checked when set (an export lists tunnels before the VRFs
    /// that name them); renames follow.
    VrfLater,
    /// A MAC address: `02:00:5E:10:00:01` (upper case kept), unicast.
    Mac,
}

impl Kind {
    /// Whether detail views print the value in double quotes.
    pub fn quoted(self) -> bool {
        matches!(self, Kind::Text | Kind::Name)
    }

    /// The expected form, for error messages.
    pub fn expected(self) -> String {
        match self {
            Kind::Text => "text".into(),
            Kind::Name | Kind::Word => "a name".into(),
            Kind::Bool => "yes or no".into(),
            Kind::Switch => "yes or no".into(),
            Kind::Int(lo, hi) => format!("an integer {lo}..{hi}"),
            Kind::Ip => "an IPv4 address (a.b.c.d)".into(),
            Kind::Prefix => "an IPv4 prefix (a.b.c.d/len)".into(),
            Kind::IfAddress => "an IPv4 address with optional length (a.b.c.d/len)".into(),
            Kind::AddrOrPrefix => "an IPv4 address or prefix".into(),
            Kind::Time => "a time (10s, 3m, 1h30m, 100ms)".into(),
            Kind::TimeOrInfinity => "a time (10s, 3m) or infinity".into(),
            Kind::Enum(v) => format!("one of {}", v.join(", ")),
            Kind::EnumList(v) => format!("a comma list of {}", v.join(", ")),
            Kind::IpList => "a comma list of IPv4 addresses".into(),
            Kind::PrefixList => "a comma list of IPv4 prefixes".into(),
            Kind::Ref(r) | Kind::RefList(r) => {
                let what = match r {
                    RefTo::Interface { lists: true } => "interface or interface list",
                    RefTo::Interface { lists: false } => "interface",
                    RefTo::Vrf => "VRF",
                    RefTo::Table => "routing table",
                    RefTo::BgpTemplate => "BGP template",
                    RefTo::OspfInstance => "OSPF instance",
                    RefTo::OspfArea => "OSPF area",
                    RefTo::InterfaceList => "interface list",
                };
                if matches!(self, Kind::RefList(_)) {
                    format!("a comma list of {what} names")
                } else {
                    format!("the name of an existing {what}")
                }
            }
            Kind::Gateway => {
                "gateways: IP, IP@table, IP%interface, interface or interface@vrf".into()
            }
            Kind::RouteTarget { .. } => "ASN:number or IPv4:number".into(),
            Kind::LabelRange => "a label range first-last within 16-1048575".into(),
            Kind::AsNum => "an AS number (0..4294967295 or a.b)".into(),
            Kind::RouterId => "an IPv4 address or a routing id name".into(),
            Kind::FwAddress => "[!]a.b.c.d[/len] or [!]a.b.c.d-e.f.g.h".into(),
            Kind::FwInterface => "[!]interface name".into(),
            Kind::FwInterfaceList => "[!]interface list name".into(),
            Kind::FwPorts => "[!]ports: 80,443,1000-2000".into(),
            Kind::FwProtocol => "a protocol name (tcp, udp, icmp, ...) or number".into(),
            Kind::FwEnumList(v) => format!("[!]a comma list of {}", v.join(", ")),
            Kind::FwTable => "the name of an existing routing table".into(),
            Kind::IpAtVrf => "an IPv4 address, optionally @vrf (a.b.c.d@vrf1)".into(),
            Kind::IntOr(w, lo, hi) => format!("{w} or an integer {lo}..{hi}"),
            Kind::Keepalive => "interval,retries (10s,10)".into(),
            Kind::VrfLater => "a VRF name".into(),
            Kind::Mac => "a unicast MAC address (02:00:00:00:00:01)".into(),
        }
    }
}

/// One parameter of a menu.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Name as typed (`remote.address`).
    pub name: &'static str,
    /// Value type.
    pub kind: Kind,
    /// Default shown when unset, if any.
    pub default: Option<&'static str>,
    /// Must be given on `add`.
    pub mandatory: bool,
    /// Shown by the system, not settable.
    pub read_only: bool,
    /// Printed in detail views even when left at its default.
    pub show_default: bool,
}

impl Param {
    /// An optional parameter without default.
    pub const fn opt(name: &'static str, kind: Kind) -> Param {
        Param {
            name,
            kind,
            default: None,
            mandatory: false,
            read_only: false,
            show_default: false,
        }
    }

    /// A parameter with a default value.
    pub const fn def(name: &'static str, kind: Kind, default: &'static str) -> Param {
        Param {
            name,
            kind,
            default: Some(default),
            mandatory: false,
            read_only: false,
            show_default: false,
        }
    }

    /// A mandatory parameter.
    pub const fn req(name: &'static str, kind: Kind) -> Param {
        Param {
            name,
            kind,
            default: None,
            mandatory: true,
            read_only: false,
            show_default: true,
        }
    }

    /// Read-only: set by the system.
    pub const fn ro(name: &'static str, kind: Kind) -> Param {
        Param {
            name,
            kind,
            default: None,
            mandatory: false,
            read_only: true,
            show_default: true,
        }
    }

    /// The same, printed in detail views even at its default.
    pub const fn shown(mut self) -> Param {
        self.show_default = true;
        self
    }
}

/// How `print` lays a menu out.
#[derive(Debug, Clone, Copy)]
pub enum PrintStyle {
    /// Columns: one row per item.
    Table(&'static [&'static str]),
    /// `name=value` pairs per item (RouterOS's default for menus such as `/ip vrf`).
    Detail,
}

/// What kind of menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuKind {
    /// An ordered list of items (`add`, `remove`, `move`...).
    List,
    /// One set of values (`set`, `print`, `export`): `/system identity`, `/mpls settings`.
    Settings,
}

/// One menu of the command tree.
#[derive(Debug, Clone, Copy)]
pub struct Menu {
    /// Path words (`["ip", "vrf"]`).
    pub path: &'static [&'static str],
    /// List or settings.
    pub kind: MenuKind,
    /// Parameters in print order.
    pub params: &'static [Param],
    /// The parameter that names an item (items may be referred to by it), if any.
    pub key: Option<&'static str>,
    /// Whether users may `add` items.
    pub can_add: bool,
    /// Whether users may `remove` items.
    pub can_remove: bool,
    /// Print layout.
    pub style: PrintStyle,
    /// The flags legend of `print`: groups of (letter, name); one column per group.
    pub legend: &'static [&'static [(char, &'static str)]],
    /// Prefix of generated names for items added without one (`bgp` → `bgp1`).
    pub auto_name: Option<&'static str>,
    /// Export prints `disabled=no` explicitly (RouterOS does for routing menus).
    pub export_disabled: bool,
}

impl Menu {
    /// A list menu (add, remove, move...) named by `key`, printed in `style`.
    pub const fn list(
        path: &'static [&'static str],
        params: &'static [Param],
        key: Option<&'static str>,
        style: PrintStyle,
        legend: &'static [&'static [(char, &'static str)]],
    ) -> Menu {
        Menu {
            path,
            kind: MenuKind::List,
            params,
            key,
            can_add: true,
            can_remove: true,
            style,
            legend,
            auto_name: None,
            export_disabled: false,
        }
    }

    /// A settings menu (one set of values).
    pub const fn settings(path: &'static [&'static str], params: &'static [Param]) -> Menu {
        Menu {
            path,
            kind: MenuKind::Settings,
            params,
            key: None,
            can_add: false,
            can_remove: false,
            style: PrintStyle::Detail,
            legend: &[],
            auto_name: None,
            export_disabled: false,
        }
    }

    /// Items are built in: users can neither add nor remove them.
    pub const fn fixed(mut self) -> Menu {
        self.can_add = false;
        self.can_remove = false;
        self
    }

    /// Items added without a name get `prefix` and a number.
    pub const fn auto_name(mut self, prefix: &'static str) -> Menu {
        self.auto_name = Some(prefix);
        self
    }

    /// Export writes `disabled=no` explicitly, as RouterOS does for routing menus.
    pub const fn export_disabled(mut self) -> Menu {
        self.export_disabled = true;
        self
    }

    /// The path as RouterOS writes it: `/ip vrf`.
    pub fn path_text(&self) -> String {
        format!("/{}", self.path.join(" "))
    }

    /// The path as the prompt shows it: `/ip/vrf`.
    pub fn prompt_path(&self) -> String {
        format!("/{}", self.path.join("/"))
    }

    /// A parameter by exact name.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The commands this menu offers.
    pub fn commands(&self) -> &'static [&'static str] {
        match (self.kind, self.can_add) {
            (MenuKind::Settings, _) => &["set", "print", "export", "get", "unset"],
            (MenuKind::List, true) => &[
                "add", "set", "remove", "print", "move", "export", "enable", "disable", "find",
                "get", "unset", "comment",
            ],
            (MenuKind::List, false) => &[
                "set", "print", "export", "enable", "disable", "find", "get", "unset", "comment",
            ],
        }
    }
}
