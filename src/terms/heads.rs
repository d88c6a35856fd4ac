//! The heads that end institutional and geographic names (…公司, …中心, …隧道, …博览会),
//! the kind of name each one makes, and its English.

use super::Kind;

/// One head: the Chinese ending, the kind of name, the English head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub chinese: &'static str,
    pub kind: Kind,
    pub english: &'static str,
}

const fn h(chinese: &'static str, kind: Kind, english: &'static str) -> Head {
    Head {
        chinese,
        kind,
        english,
    }
}

/// Heads, matched longest first (股份有限公司 before 公司).
pub const HEADS: &[Head] = &[
    // Organisations.
    h("股份有限公司", Kind::Organisation, "Co., Ltd."),
    h("有限责任公司", Kind::Organisation, "Co., Ltd."),
    h("有限公司", Kind::Organisation, "Co., Ltd."),
    h("公司", Kind::Organisation, "Company"),
    h("集团", Kind::Organisation, "Group"),
    h("委员会", Kind::Organisation, "Commission"),
    h("管委会", Kind::Organisation, "Administrative Committee"),
    h("委会", Kind::Organisation, "Commission"),
    h("工委", Kind::Organisation, "Working Committee"),
    h("党委", Kind::Organisation, "Party Committee"),
    h("政府", Kind::Organisation, "Government"),
    h("海关", Kind::Organisation, "Customs"),
    h("大学", Kind::Organisation, "University"),
    h("学院", Kind::Organisation, "College"),
    h("研究院", Kind::Organisation, "Research Institute"),
    h("研究所", Kind::Organisation, "Institute"),
    h("医院", Kind::Organisation, "Hospital"),
    h("银行", Kind::Organisation, "Bank"),
    h("协会", Kind::Organisation, "Association"),
    h("学会", Kind::Organisation, "Society"),
    h("商会", Kind::Organisation, "Chamber of Commerce"),
    h("组织", Kind::Organisation, "Organization"),
    h("联盟", Kind::Organisation, "Alliance"),
    h("法院", Kind::Organisation, "Court"),
    h("检察院", Kind::Organisation, "Procuratorate"),
    h("办公室", Kind::Organisation, "Office"),
    h("局", Kind::Organisation, "Bureau"),
    h("厅", Kind::Organisation, "Department"),
    h("部", Kind::Organisation, "Ministry"),
    h("委", Kind::Organisation, "Commission"),
    h("办", Kind::Organisation, "Office"),
    h("署", Kind::Organisation, "Administration"),
    // Facilities.
    h("会议中心", Kind::Facility, "Conference Center"),
    h("博览中心", Kind::Facility, "Expo Center"),
    h(
        "会展中心",
        Kind::Facility,
        "Convention and Exhibition Center",
    ),
    h("中心", Kind::Facility, "Center"),
    h("平台", Kind::Facility, "Platform"),
    h("产业园", Kind::Facility, "Industrial Park"),
    h("工业园", Kind::Facility, "Industrial Park"),
    h("科技园", Kind::Facility, "Science Park"),
    h("软件园", Kind::Facility, "Software Park"),
    h("园区", Kind::Facility, "Park"),
    h("园", Kind::Facility, "Park"),
    h("基地", Kind::Facility, "Base"),
    h("东站", Kind::Facility, "East Railway Station"),
    h("西站", Kind::Facility, "West Railway Station"),
    h("南站", Kind::Facility, "South Railway Station"),
    h("北站", Kind::Facility, "North Railway Station"),
    h("火车站", Kind::Facility, "Railway Station"),
    h("站", Kind::Facility, "Station"),
    h("机场", Kind::Facility, "Airport"),
    h("港", Kind::Facility, "Port"),
    h("码头", Kind::Facility, "Wharf"),
    h("隧道", Kind::Facility, "Tunnel"),
    h("大桥", Kind::Facility, "Bridge"),
    h("高铁", Kind::Facility, "High-Speed Railway"),
    h("铁路", Kind::Facility, "Railway"),
    h("高速公路", Kind::Facility, "Expressway"),
    h("通道", Kind::Facility, "Corridor"),
    h("展馆", Kind::Facility, "Pavilion"),
    h("博物馆", Kind::Facility, "Museum"),
    h("体育馆", Kind::Facility, "Gymnasium"),
    h("实验室", Kind::Facility, "Laboratory"),
    h("广场", Kind::Facility, "Square"),
    h("科学城", Kind::Place, "Science City"),
    h("新区", Kind::Place, "New Area"),
    h("新城", Kind::Place, "New City"),
    h("开发区", Kind::Place, "Development Zone"),
    h("高新区", Kind::Place, "High-Tech Zone"),
    h("自贸区", Kind::Place, "Free Trade Zone"),
    h("经济圈", Kind::Place, "Economic Circle"),
    // Events.
    h("博览会", Kind::Event, "Expo"),
    h("展览会", Kind::Event, "Exhibition"),
    h("交易会", Kind::Event, "Fair"),
    h("洽谈会", Kind::Event, "Fair"),
    h("分论坛", Kind::Event, "Sub-forum"),
    h("论坛", Kind::Event, "Forum"),
    h("峰会", Kind::Event, "Summit"),
    h("大会", Kind::Event, "Conference"),
    h("运动会", Kind::Event, "Games"),
    h("文化节", Kind::Event, "Cultural Festival"),
    h("艺术节", Kind::Event, "Arts Festival"),
    h("电影节", Kind::Event, "Film Festival"),
    h("大赛", Kind::Event, "Competition"),
    // Programmes.
    h("试验区", Kind::Programme, "Pilot Zone"),
    h("示范区", Kind::Programme, "Demonstration Zone"),
    h("先导区", Kind::Programme, "Pilot Zone"),
    h("计划", Kind::Programme, "Plan"),
    h("规划", Kind::Programme, "Plan"),
    h("工程", Kind::Programme, "Project"),
    h("战略", Kind::Programme, "Strategy"),
    h("行动", Kind::Programme, "Campaign"),
    h("倡议", Kind::Programme, "Initiative"),
    h("条例", Kind::Programme, "Regulations"),
];

/// The longest head `name` ends with.
pub fn head_of(name: &str) -> Option<&'static Head> {
    HEADS
        .iter()
        .filter(|h| name.ends_with(h.chinese))
        .max_by_key(|h| h.chinese.len())
}
