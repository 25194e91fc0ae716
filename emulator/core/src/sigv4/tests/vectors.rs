//! The header-signed vectors of AWS's test suite (aws-c-auth), and canonicalisation rules.

use super::*;

/// One header-signed vector of the aws-sig-v4-test-suite.
pub(super) struct Vector {
    pub(super) name: &'static str,
    pub(super) method: &'static str,
    pub(super) target: &'static str,
    /// Headers besides Host and X-Amz-Date (added here) and Authorization.
    pub(super) headers: &'static [(&'static str, &'static str)],
    pub(super) body: &'static str,
    pub(super) signed_headers: &'static str,
    /// Expected canonical request; `None` when only the signature was published.
    pub(super) creq: Option<&'static str>,
    /// Hash line of the expected string to sign.
    pub(super) sts_hash: Option<&'static str>,
    pub(super) signature: &'static str,
}

// Vectors: awslabs/aws-c-auth tests/aws-signing-test-suite/v4 (the header-* files);
// the "(old suite)" ones are from the 2015 aws-sig-v4-test-suite as carried by
// aws-sdk-js-v3's suite.fixture.
pub(super) const VECTORS: &[Vector] = &[
    Vector {
        name: "get-header-key-duplicate",
        method: "GET",
        target: "/",
        headers: &[
            ("My-Header1", "value2"),
            ("My-Header1", "value2"),
            ("My-Header1", "value1"),
        ],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c"),
        signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
    },
    Vector {
        name: "get-header-value-multiline",
        method: "GET",
        target: "/",
        headers: &[("My-Header1", "value1\n  value2\n     value3")],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1 value2 value3\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("e99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8"),
        signature: "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
    },
    Vector {
        // Earlier revision of the same vector: the folded lines as three values.
        name: "get-header-value-multiline (as separate values)",
        method: "GET",
        target: "/",
        headers: &[
            ("My-Header1", "value1"),
            ("My-Header1", "value2"),
            ("My-Header1", "value3"),
        ],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        creq: None,
        sts_hash: None,
        signature: "ba17b383a53190154eb5fa66a1b836cc297cc0a3d70a5d00705980573d8ff790",
    },
    Vector {
        name: "get-header-value-order",
        method: "GET",
        target: "/",
        headers: &[
            ("My-Header1", "value4"),
            ("My-Header1", "value1"),
            ("My-Header1", "value3"),
            ("My-Header1", "value2"),
        ],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86"),
        signature: "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    },
    Vector {
        name: "get-header-value-trim",
        method: "GET",
        target: "/",
        headers: &[("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
        body: "",
        signed_headers: "host;my-header1;my-header2;x-amz-date",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7"),
        signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    },
    Vector {
        name: "get-relative-normalized",
        method: "GET",
        target: "/example/..",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-relative-relative-normalized",
        method: "GET",
        target: "/example1/example2/../..",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-slash-dot-slash-normalized",
        method: "GET",
        target: "/./",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-slash-normalized",
        method: "GET",
        target: "//",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-slash-pointless-dot-normalized",
        method: "GET",
        target: "/./example",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/example\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702"),
        signature: "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
    },
    Vector {
        name: "get-slashes-normalized",
        method: "GET",
        target: "//example//",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015"),
        signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
    },
    Vector {
        // The suite's request line carries a raw space; encoded once it is %20.
        name: "get-space-normalized",
        method: "GET",
        target: "/example space/",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86"),
        signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
    },
    Vector {
        name: "get-unreserved",
        method: "GET",
        target: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9"),
        signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    },
    Vector {
        // Raw UTF-8 in the request line, encoded once.
        name: "get-utf8",
        method: "GET",
        target: "/\u{1234}",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102"),
        signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
    },
    Vector {
        name: "get-vanilla",
        method: "GET",
        target: "/",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-vanilla-empty-query-key",
        method: "GET",
        target: "/?Param1=value1",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab"),
        signature: "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
    },
    Vector {
        name: "get-vanilla-query",
        method: "GET",
        target: "/",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-vanilla-query-order-encoded",
        method: "GET",
        target: "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71"),
        signature: "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
    },
    Vector {
        name: "get-vanilla-query-order-key-case",
        method: "GET",
        target: "/?Param2=value2&Param1=value1",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
        signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    },
    Vector {
        name: "get-vanilla-query-order-value (old suite)",
        method: "GET",
        target: "/?Param1=value2&Param1=value1",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: None,
        signature: "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
    },
    Vector {
        name: "get-vanilla-query-unreserved",
        method: "GET",
        target: "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177"),
        signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
    },
    Vector {
        name: "get-vanilla-utf8-query",
        method: "GET",
        target: "/?\u{1234}=bar",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073"),
        signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    },
    Vector {
        name: "get-vanilla-with-session-token",
        method: "GET",
        target: "/",
        headers: &[(
            "X-Amz-Security-Token",
            "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
        )],
        body: "",
        signed_headers: "host;x-amz-date;x-amz-security-token",
        creq: Some(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b"),
        signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
    },
    Vector {
        name: "post-header-key-case",
        method: "POST",
        target: "/",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
        signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        name: "post-header-key-sort",
        method: "POST",
        target: "/",
        headers: &[("My-Header1", "value1")],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        creq: Some(
            "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65"),
        signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
    },
    Vector {
        name: "post-header-value-case",
        method: "POST",
        target: "/",
        headers: &[("My-Header1", "VALUE1")],
        body: "",
        signed_headers: "host;my-header1;x-amz-date",
        creq: Some(
            "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93"),
        signature: "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
    },
    Vector {
        // Token sent but not signed: it is added after signing.
        name: "post-sts-header-after",
        method: "POST",
        target: "/",
        headers: &[("X-Amz-Security-Token", STS_TOKEN)],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
        signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        name: "post-sts-header-before",
        method: "POST",
        target: "/",
        headers: &[("X-Amz-Security-Token", STS_TOKEN)],
        body: "",
        signed_headers: "host;x-amz-date;x-amz-security-token",
        creq: Some(
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"),
        signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
    },
    Vector {
        name: "post-vanilla",
        method: "POST",
        target: "/",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
        signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        // The published vector really carries "Param1=value1" (a known quirk).
        name: "post-vanilla-empty-query-value",
        method: "POST",
        target: "/?Param1=value1",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd"),
        signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    },
    Vector {
        name: "post-vanilla-query",
        method: "POST",
        target: "/?Param1=value1",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: Some("9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd"),
        signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    },
    Vector {
        name: "post-vanilla-query-nonunreserved (old suite)",
        method: "POST",
        target: "/?%40%23%24%25%5E=&%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: Some(
            "POST\n/\n%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D&%40%23%24%25%5E=\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        sts_hash: None,
        signature: "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e",
    },
    Vector {
        name: "post-vanilla-query-space (old suite)",
        method: "POST",
        target: "/?p=",
        headers: &[],
        body: "",
        signed_headers: "host;x-amz-date",
        creq: None,
        sts_hash: None,
        signature: "e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b",
    },
    Vector {
        name: "post-x-www-form-urlencoded",
        method: "POST",
        target: "/",
        headers: &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", "13"),
            (
                "X-Amz-Content-Sha256",
                "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            ),
        ],
        body: "Param1=value1",
        signed_headers: "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
        creq: Some(
            "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nx-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        ),
        sts_hash: Some("b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb"),
        signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
    },
    Vector {
        name: "post-x-www-form-urlencoded-parameters",
        method: "POST",
        target: "/",
        headers: &[
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("Content-Length", "13"),
            (
                "X-Amz-Content-Sha256",
                "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            ),
        ],
        body: "Param1=value1",
        signed_headers: "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
        creq: Some(
            "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:example.amazonaws.com\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\nx-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        ),
        sts_hash: Some("a89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d"),
        signature: "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
    },
    Vector {
        name: "post-x-www-form-urlencoded (old suite)",
        method: "POST",
        target: "/",
        headers: &[("Content-Type", "application/x-www-form-urlencoded")],
        body: "Param1=value1",
        signed_headers: "content-type;host;x-amz-date",
        creq: Some(
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        ),
        sts_hash: Some("42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"),
        signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    },
    Vector {
        name: "post-x-www-form-urlencoded-parameters (old suite)",
        method: "POST",
        target: "/",
        headers: &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf8",
        )],
        body: "Param1=value1",
        signed_headers: "content-type;host;x-amz-date",
        creq: None,
        sts_hash: None,
        signature: "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
    },
];

pub(super) fn vector_request(v: &Vector) -> Req {
    let mut req = Req::new(v.method, v.target).header("Host", HOST);
    for (n, val) in v.headers {
        req = req.header(n, val);
    }
    req.header("X-Amz-Date", DATE)
        .header("Authorization", &suite_auth(v.signed_headers, v.signature))
        .body(v.body.as_bytes())
}

#[test]
fn aws_test_suite_header_vectors() {
    for v in VECTORS {
        let req = vector_request(v);
        let parsed = req.parse().unwrap_or_else(|e| panic!("{}: parse failed: {e}", v.name));
        assert!(!parsed.presigned, "{}", v.name);
        assert_eq!(parsed.scope.access_key, KEY, "{}", v.name);
        assert_eq!(parsed.scope.date, "20150830", "{}", v.name);
        assert_eq!(parsed.scope.region, "us-east-1", "{}", v.name);
        assert_eq!(parsed.scope.service, "service", "{}", v.name);
        assert_eq!(parsed.signature, v.signature, "{}", v.name);
        assert_eq!(parsed.signed_headers.join(";"), v.signed_headers, "{}", v.name);
        assert_eq!(parsed.request_time, t(DATE), "{}", v.name);

        let creq = req.canonical();
        if let Some(expected) = v.creq {
            assert_eq!(creq, expected, "{}: canonical request", v.name);
        }
        let sts = string_to_sign(&parsed, &creq);
        if let Some(hash) = v.sts_hash {
            assert_eq!(
                sts,
                format!("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{hash}"),
                "{}: string to sign",
                v.name
            );
        }
        let computed =
            hex::encode(hmac_sha256(&signing_key(SECRET, "20150830", "us-east-1", "service"), sts.as_bytes()));
        assert_eq!(computed, v.signature, "{}: signature", v.name);
        assert_eq!(req.verify(SECRET), Ok(()), "{}: verify", v.name);
        assert!(matches!(req.verify("wrong"), Err(SigV4Error::SignatureMismatch { .. })), "{}: wrong secret", v.name);

        // The signer helper reproduces the published Authorization header.
        let signed: Vec<&str> = v.signed_headers.split(';').collect();
        let unsigned =
            Req { headers: req.headers.iter().filter(|(n, _)| n != "Authorization").cloned().collect(), ..req.clone() };
        assert_eq!(unsigned.sign(&signed), suite_auth(v.signed_headers, v.signature), "{}: sign_authorization", v.name);
    }
}

#[test]
fn signing_key_matches_published_derivation() {
    // aws-c-auth / AWS docs example key derivation for the suite credentials.
    let key = signing_key(SECRET, "20150830", "us-east-1", "iam");
    assert_eq!(hex::encode(key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

#[test]
fn unnormalized_suite_paths_use_the_non_s3_rule() {
    // The suite's *-unnormalized variants are the S3 rule (path kept verbatim);
    // non-S3 services normalise, so these requests canonicalise like the
    // *-normalized vectors instead.
    for (raw, expected) in [
        ("/example/..", "/"),
        ("/example1/example2/../..", "/"),
        ("/./", "/"),
        ("//", "/"),
        ("/./example", "/example"),
        ("//example//", "/example/"),
        ("", "/"),
        ("/a/b/..", "/a"),
        ("/a/./b/", "/a/b/"),
        ("/../../x", "/x"),
        ("/a/%2E%2E/b", "/a/%252E%252E/b"),
        ("/example%20space/", "/example%2520space/"),
        ("/%E1%88%B4", "/%25E1%2588%25B4"),
        ("/a%2Fb", "/a%252Fb"),
        ("/service/X/operation/Y", "/service/X/operation/Y"),
        ("/a+b:c@d", "/a%2Bb%3Ac%40d"),
    ] {
        assert_eq!(canonical_uri(raw), expected, "path {raw:?}");
    }
}

#[test]
fn canonical_query_rules() {
    for (raw, expected) in [
        ("", ""),
        ("Param2=value2&Param1=value1", "Param1=value1&Param2=value2"),
        ("a=10&a=9", "a=10&a=9"),
        ("x=a.b&x=a%2Fb", "x=a%2Fb&x=a.b"),
        ("q=a+b", "q=a%2Bb"),
        ("q=a%20b", "q=a%20b"),
        ("q=a%2bb", "q=a%2Bb"),
        ("b&a=1", "a=1&b="),
        ("a=1=2", "a=1%3D2"),
        ("a=1&&b=2&", "a=1&b=2"),
        ("bad=%zz&t=%", "bad=%25zz&t=%25"),
        ("raw=%FF%FE", "raw=%FF%FE"),
        ("Action=DescribeInstances&Version=2016-11-15", "Action=DescribeInstances&Version=2016-11-15"),
    ] {
        assert_eq!(canonical_query(raw, false), expected, "query {raw:?}");
    }
    assert_eq!(canonical_query("X-Amz-Signature=abc&b=1&X-Amz-Date=1", true), "X-Amz-Date=1&b=1");
    assert_eq!(canonical_query("X-Amz-Signature=abc&b=1", false), "X-Amz-Signature=abc&b=1");
}
