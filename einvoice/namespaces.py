"""XML namespaces of the two syntaxes, with the prefixes used in every XPath we report."""

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDITNOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

UBL_NS = {"ubl": UBL_INVOICE, "cn": UBL_CREDITNOTE, "cbc": CBC, "cac": CAC, "ext": EXT}
CII_NS = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
ALL_NS = {**UBL_NS, **CII_NS}

# Prefix for each namespace, to write readable XPaths (Clark notation → prefix:local).
PREFIX = {
    UBL_INVOICE: "ubl",
    UBL_CREDITNOTE: "cn",
    CBC: "cbc",
    CAC: "cac",
    EXT: "ext",
    RSM: "rsm",
    RAM: "ram",
    UDT: "udt",
    QDT: "qdt",
}
