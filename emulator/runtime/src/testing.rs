//! Values shared by the unit tests.

use crate::desired::{Cidr, Identity, Instance, MetadataOptions, Power};

pub fn instance() -> Instance {
    Instance {
        id: "i-0123456789abcdef0".into(),
        vpc: "vpc-1".into(),
        subnet: "subnet-1".into(),
        private_ip: "10.0.1.10".parse().unwrap(),
        public_ip: Some("54.0.0.10".parse().unwrap()),
        mac: "02:00:00:00:00:0a".into(),
        interface_id: "eni-1".into(),
        security_groups: vec!["sg-1".into()],
        security_group_names: vec!["default".into()],
        image_id: "ami-1".into(),
        default_user: "ec2-user".into(),
        key_name: Some("k1".into()),
        public_key: Some("ssh-ed25519 AAAAC3Nza k1".into()),
        user_data: None,
        power: Power::Running,
        boot_generation: 0,
        metadata: MetadataOptions::default(),
        identity: Identity {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            availability_zone: "us-east-1a".into(),
            availability_zone_id: "use1-az1".into(),
            instance_type: "t3.micro".into(),
            reservation_id: "r-1".into(),
            pending_time: "2026-01-01T00:00:00Z".into(),
            subnet_cidr: Cidr::parse("10.0.1.0/24"),
            vpc_cidrs: vec![Cidr::parse("10.0.0.0/16").unwrap()],
            ..Identity::default()
        },
        vcpus: 2,
        memory_mib: 1024,
        iam: None,
        volumes: vec![],
        secondary_ips: vec![],
    }
}
