"""Subnet CIDR reservations with real boto3: IPv4 and IPv6 reservations inside the
subnet's blocks, overlap refused, filters, paging, tags, DryRun, and automatic private
addresses kept out of reserved ranges while asked-for ones may use them."""

import botocore.exceptions
import pytest

from conftest import client, unique


def error(call, *args, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture
def ec2():
    return client("ec2")


def test_reservations_in_the_subnet_without_overlap(ec2):
    run = unique("scr")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    v6 = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    v6_subnet = v6.replace("/56", "/64")
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.1.0/24", Ipv6CidrBlock=v6_subnet)["Subnet"]["SubnetId"]
    try:
        made = ec2.create_subnet_cidr_reservation(
            SubnetId=subnet,
            Cidr="10.77.1.16/28",
            ReservationType="explicit",
            Description="appliances",
            TagSpecifications=[{"ResourceType": "subnet-cidr-reservation", "Tags": [{"Key": "run", "Value": run}]}],
        )["SubnetCidrReservation"]
        rid = made["SubnetCidrReservationId"]
        assert rid.startswith("scr-")
        assert made["SubnetId"] == subnet and made["ReservationType"] == "explicit"
        assert made["OwnerId"] == "000000000000" and made["Description"] == "appliances"
        assert made["Tags"] == [{"Key": "run", "Value": run}]

        code, message = error(
            ec2.create_subnet_cidr_reservation, SubnetId=subnet, Cidr="10.77.1.24/29", ReservationType="prefix"
        )
        assert code == "InvalidParameterValue" and "overlap" in message
        for outside in ["10.77.2.0/28", "10.77.0.0/23", "not-a-cidr"]:
            assert error(
                ec2.create_subnet_cidr_reservation, SubnetId=subnet, Cidr=outside, ReservationType="prefix"
            )[0] == "InvalidParameterValue", outside
        assert error(
            ec2.create_subnet_cidr_reservation, SubnetId="subnet-0123456789abcdef0", Cidr="10.77.1.32/28", ReservationType="prefix"
        )[0] == "InvalidSubnetID.NotFound"
        assert error(
            ec2.create_subnet_cidr_reservation, SubnetId=subnet, Cidr="10.77.1.32/28", ReservationType="prefix", DryRun=True
        )[0] == "DryRunOperation"

        ec2.create_subnet_cidr_reservation(SubnetId=subnet, Cidr="10.77.1.32/28", ReservationType="prefix")
        six = v6_subnet.replace("::/64", "::/80")
        ec2.create_subnet_cidr_reservation(SubnetId=subnet, Cidr=six, ReservationType="prefix")

        got = ec2.get_subnet_cidr_reservations(SubnetId=subnet)
        assert sorted(r["Cidr"] for r in got["SubnetIpv4CidrReservations"]) == ["10.77.1.16/28", "10.77.1.32/28"]
        assert [r["Cidr"] for r in got["SubnetIpv6CidrReservations"]] == [six]
        prefix = ec2.get_subnet_cidr_reservations(
            SubnetId=subnet, Filters=[{"Name": "reservationType", "Values": ["prefix"]}]
        )
        assert len(prefix["SubnetIpv4CidrReservations"]) == 1 and len(prefix["SubnetIpv6CidrReservations"]) == 1
        tagged = ec2.get_subnet_cidr_reservations(SubnetId=subnet, Filters=[{"Name": "tag:run", "Values": [run]}])
        assert [r["SubnetCidrReservationId"] for r in tagged["SubnetIpv4CidrReservations"]] == [rid]

        first = ec2.get_subnet_cidr_reservations(SubnetId=subnet, MaxResults=5)
        assert "NextToken" not in first
        assert error(
            ec2.get_subnet_cidr_reservations, SubnetId=subnet, Filters=[{"Name": "nonsense", "Values": ["x"]}]
        )[0] == "InvalidParameterValue"

        deleted = ec2.delete_subnet_cidr_reservation(SubnetCidrReservationId=rid)["DeletedSubnetCidrReservation"]
        assert deleted["Cidr"] == "10.77.1.16/28"
        assert error(ec2.delete_subnet_cidr_reservation, SubnetCidrReservationId=rid)[0] == (
            "InvalidSubnetCidrReservationID.NotFound"
        )
    finally:
        ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_vpc(VpcId=vpc)


def test_automatic_private_addresses_skip_reserved_ranges(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.78.1.0/28")["Subnet"]["SubnetId"]
    enis = []
    try:
        ec2.create_subnet_cidr_reservation(SubnetId=subnet, Cidr="10.78.1.4/30", ReservationType="explicit")
        auto = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]
        enis.append(auto["NetworkInterfaceId"])
        assert auto["PrivateIpAddress"] == "10.78.1.8"
        asked = ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.78.1.5")["NetworkInterface"]
        enis.append(asked["NetworkInterfaceId"])
        assert asked["PrivateIpAddress"] == "10.78.1.5"
    finally:
        for eni in enis:
            ec2.delete_network_interface(NetworkInterfaceId=eni)
        ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_vpc(VpcId=vpc)
