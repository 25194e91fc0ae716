// The provisioning path of an immutable-infrastructure script, with @aws-sdk/client-ec2
// and its own waiters: a VPC with public and private subnets in two zones, an internet
// gateway, route tables, a security group, an Elastic IP and a NAT gateway, a key pair;
// an instance from Amazon's catalogue, an image baked from it, the instance replaced by
// one from the image; then the VPC refuses deletion while in use, and an orderly teardown.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";

import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateImageCommand,
  CreateInternetGatewayCommand,
  CreateKeyPairCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteKeyPairCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DeregisterImageCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeKeyPairsCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  ReleaseAddressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilImageAvailable,
  waitUntilInstanceRunning,
  waitUntilInstanceTerminated,
  waitUntilNatGatewayAvailable,
  waitUntilNatGatewayDeleted,
} from "@aws-sdk/client-ec2";

import { ACCOUNT, advance, ec2Client, rejects, tagsOf, unique, waiter } from "./lib.mjs";

const REGION = "eu-west-1";

const nameTag = (type, name, extra = []) => [{ ResourceType: type, Tags: [{ Key: "Name", Value: name }, ...extra] }];

async function instancesNamed(ec2, name, states) {
  const out = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: "tag:Name", Values: [name] },
        { Name: "instance-state-name", Values: states },
      ],
    }),
  );
  return out.Reservations.flatMap((r) => r.Instances);
}

describe("an immutable-infrastructure provisioning run", () => {
  const ec2 = ec2Client({ region: REGION });
  const stack = unique("js-stack");
  const webName = `${stack}-web`;
  // What the run made, for the orderly teardown (and the best-effort one if a step failed).
  const s = { instances: [] };
  // One web instance of `version` from `imageId`, in the public subnet behind the group.
  const launchWeb = (imageId, version) =>
    ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: "t3.micro",
        MinCount: 1,
        MaxCount: 1,
        SubnetId: s.publicSubnet,
        SecurityGroupIds: [s.sgId],
        KeyName: s.keyName,
        TagSpecifications: nameTag("instance", webName, [{ Key: "Version", Value: version }]),
      }),
    );
  let tornDown = false;

  after(async () => {
    if (tornDown) return;
    const quiet = (p) => p.catch(() => {});
    if (s.instances.length) {
      await quiet(ec2.send(new TerminateInstancesCommand({ InstanceIds: s.instances })));
      await quiet(waitUntilInstanceTerminated(waiter(ec2), { InstanceIds: s.instances }));
    }
    if (s.imageId) await quiet(ec2.send(new DeregisterImageCommand({ ImageId: s.imageId })));
    if (s.snapshotId) await quiet(ec2.send(new DeleteSnapshotCommand({ SnapshotId: s.snapshotId })));
    if (s.natId) {
      await quiet(ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: s.natId })));
      await quiet(waitUntilNatGatewayDeleted(waiter(ec2), { NatGatewayIds: [s.natId] }));
    }
    if (s.allocationId) await quiet(ec2.send(new ReleaseAddressCommand({ AllocationId: s.allocationId })));
    if (s.keyName) await quiet(ec2.send(new DeleteKeyPairCommand({ KeyName: s.keyName })));
    for (const a of s.associations ?? []) await quiet(ec2.send(new DisassociateRouteTableCommand({ AssociationId: a })));
    for (const t of [s.publicRt, s.privateRt].filter(Boolean)) await quiet(ec2.send(new DeleteRouteTableCommand({ RouteTableId: t })));
    if (s.igwId) {
      await quiet(ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: s.igwId, VpcId: s.vpcId })));
      await quiet(ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: s.igwId })));
    }
    if (s.sgId) await quiet(ec2.send(new DeleteSecurityGroupCommand({ GroupId: s.sgId })));
    for (const sub of [s.publicSubnet, s.privateSubnet].filter(Boolean)) await quiet(ec2.send(new DeleteSubnetCommand({ SubnetId: sub })));
    if (s.vpcId) await quiet(ec2.send(new DeleteVpcCommand({ VpcId: s.vpcId })));
  });

  it("finds one default VPC per region, each its own", async () => {
    const ids = new Set();
    for (const region of ["us-east-1", REGION, "ap-southeast-2"]) {
      const c = ec2Client({ region });
      const vpcs = (await c.send(new DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["true"] }] }))).Vpcs;
      assert.equal(vpcs.length, 1, region);
      const [v] = vpcs;
      assert.equal(v.IsDefault, true);
      assert.equal(v.CidrBlock, "172.31.0.0/16");
      assert.equal(v.State, "available");
      assert.equal(v.OwnerId, ACCOUNT);
      ids.add(v.VpcId);
      const zones = (await c.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones;
      assert.ok(zones.length >= 2 && zones.every((z) => z.RegionName === region && z.ZoneName.startsWith(region)), region);
    }
    assert.equal(ids.size, 3);
  });

  it("creates a tagged VPC", async () => {
    const vpc = (
      await ec2.send(new CreateVpcCommand({ CidrBlock: "10.42.0.0/16", TagSpecifications: nameTag("vpc", stack, [{ Key: "Stack", Value: stack }]) }))
    ).Vpc;
    s.vpcId = vpc.VpcId;
    assert.match(vpc.VpcId, /^vpc-[0-9a-f]{17}$/);
    assert.equal(vpc.CidrBlock, "10.42.0.0/16");
    assert.equal(vpc.IsDefault, false);
    assert.deepEqual(tagsOf(vpc), { Name: stack, Stack: stack });
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc.VpcId, EnableDnsHostnames: { Value: true } }));
    const found = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "tag:Stack", Values: [stack] }] }))).Vpcs;
    assert.deepEqual(found.map((v) => [v.VpcId, v.State]), [[vpc.VpcId, "available"]]);
  });

  it("creates a public and a private subnet in two zones", async () => {
    const zones = (await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones.map((z) => z.ZoneName);
    const make = async (cidr, zone, tier) =>
      (
        await ec2.send(
          new CreateSubnetCommand({ VpcId: s.vpcId, CidrBlock: cidr, AvailabilityZone: zone, TagSpecifications: nameTag("subnet", `${stack}-${tier}`, [{ Key: "Tier", Value: tier }]) }),
        )
      ).Subnet;
    const pub = await make("10.42.1.0/24", zones[0], "public");
    const priv = await make("10.42.2.0/24", zones[1], "private");
    s.publicSubnet = pub.SubnetId;
    s.privateSubnet = priv.SubnetId;
    assert.equal(pub.AvailabilityZone, zones[0]);
    assert.equal(priv.AvailabilityZone, zones[1]);
    assert.equal(pub.AvailableIpAddressCount, 251);
    assert.equal(pub.SubnetArn, `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/${pub.SubnetId}`);
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: pub.SubnetId, MapPublicIpOnLaunch: { Value: true } }));
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [s.vpcId] }] }))).Subnets;
    const byId = Object.fromEntries(subnets.map((x) => [x.SubnetId, x]));
    assert.equal(subnets.length, 2);
    assert.equal(byId[pub.SubnetId].MapPublicIpOnLaunch, true);
    assert.equal(byId[priv.SubnetId].MapPublicIpOnLaunch, false);
    assert.equal(tagsOf(byId[priv.SubnetId]).Tier, "private");
  });

  it("attaches an internet gateway and routes the public subnet through it", async () => {
    s.igwId = (await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: nameTag("internet-gateway", stack) }))).InternetGateway.InternetGatewayId;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: s.igwId, VpcId: s.vpcId }));
    const igw = (await ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: "attachment.vpc-id", Values: [s.vpcId] }] }))).InternetGateways;
    assert.deepEqual(igw.map((g) => [g.InternetGatewayId, g.Attachments]), [[s.igwId, [{ State: "available", VpcId: s.vpcId }]]]);

    s.publicRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: s.vpcId, TagSpecifications: nameTag("route-table", `${stack}-public`) }))).RouteTable.RouteTableId;
    const created = await ec2.send(new CreateRouteCommand({ RouteTableId: s.publicRt, DestinationCidrBlock: "0.0.0.0/0", GatewayId: s.igwId }));
    assert.equal(created.Return, true);
    const assoc = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: s.publicRt, SubnetId: s.publicSubnet }));
    assert.match(assoc.AssociationId, /^rtbassoc-/);
    assert.equal(assoc.AssociationState.State, "associated");
    s.associations = [assoc.AssociationId];
    const [rt] = (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: "association.subnet-id", Values: [s.publicSubnet] }] }))).RouteTables;
    assert.equal(rt.RouteTableId, s.publicRt);
    const routes = Object.fromEntries(rt.Routes.map((r) => [r.DestinationCidrBlock, r]));
    assert.equal(routes["10.42.0.0/16"].GatewayId, "local");
    assert.equal(routes["0.0.0.0/0"].GatewayId, s.igwId);
    assert.equal(routes["0.0.0.0/0"].State, "active");
    assert.deepEqual(rt.Associations.map((a) => [a.SubnetId, a.Main]), [[s.publicSubnet, false]]);
  });

  it("opens a security group for SSH and HTTPS, and refuses a duplicate rule", async () => {
    const sg = await ec2.send(
      new CreateSecurityGroupCommand({ GroupName: `${stack}-web`, Description: "web tier", VpcId: s.vpcId, TagSpecifications: nameTag("security-group", `${stack}-web`) }),
    );
    s.sgId = sg.GroupId;
    assert.match(sg.GroupId, /^sg-[0-9a-f]{17}$/);
    assert.equal(sg.SecurityGroupArn, `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/${sg.GroupId}`);
    const ingress = [
      { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "203.0.113.0/24", Description: "office" }] },
      { IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
    ];
    const added = await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg.GroupId, IpPermissions: ingress }));
    assert.equal(added.Return, true);
    assert.equal(added.SecurityGroupRules.length, 2);
    assert.ok(added.SecurityGroupRules.every((r) => r.GroupId === sg.GroupId && r.IsEgress === false && /^sgr-/.test(r.SecurityGroupRuleId)));
    await ec2.send(
      new AuthorizeSecurityGroupEgressCommand({ GroupId: sg.GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: "10.42.2.0/24" }] }] }),
    );
    const err = await rejects(
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg.GroupId, IpPermissions: [ingress[1]] })),
      "InvalidPermission.Duplicate",
      400,
    );
    assert.match(err.message, /already exists/);
    const [g] = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sg.GroupId] }))).SecurityGroups;
    assert.equal(g.VpcId, s.vpcId);
    const ports = g.IpPermissions.map((p) => [p.FromPort, p.IpRanges.map((r) => r.CidrIp)]).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(ports, [[22, ["203.0.113.0/24"]], [443, ["0.0.0.0/0"]]]);
    assert.equal(g.IpPermissions.find((p) => p.FromPort === 22).IpRanges[0].Description, "office");
    const egress = g.IpPermissionsEgress.map((p) => [p.IpProtocol, p.FromPort ?? null, p.IpRanges.map((r) => r.CidrIp)]);
    assert.deepEqual(
      egress.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [["-1", null, ["0.0.0.0/0"]], ["tcp", 5432, ["10.42.2.0/24"]]],
    );
  });

  it("gives the private subnet a NAT gateway on an Elastic IP", async () => {
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: "vpc", TagSpecifications: nameTag("elastic-ip", `${stack}-nat`) }));
    s.allocationId = eip.AllocationId;
    assert.match(eip.AllocationId, /^eipalloc-/);
    assert.match(eip.PublicIp, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(eip.Domain, "vpc");
    const nat = (
      await ec2.send(new CreateNatGatewayCommand({ SubnetId: s.publicSubnet, AllocationId: eip.AllocationId, TagSpecifications: nameTag("natgateway", `${stack}-nat`) }))
    ).NatGateway;
    s.natId = nat.NatGatewayId;
    assert.match(nat.NatGatewayId, /^nat-[0-9a-f]{17}$/);
    assert.equal(nat.State, "pending");
    assert.equal(nat.VpcId, s.vpcId);
    assert.equal(nat.ConnectivityType, "public");
    await advance(60);
    const result = await waitUntilNatGatewayAvailable(waiter(ec2), { NatGatewayIds: [nat.NatGatewayId] });
    assert.equal(result.state, "SUCCESS");
    const [shown] = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [nat.NatGatewayId] }))).NatGateways;
    assert.equal(shown.State, "available");
    assert.equal(shown.NatGatewayAddresses.length, 1);
    const [addr] = shown.NatGatewayAddresses;
    assert.equal(addr.AllocationId, eip.AllocationId);
    assert.equal(addr.PublicIp, eip.PublicIp);
    assert.match(addr.PrivateIp, /^10\.42\.1\.\d+$/);

    s.privateRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: s.vpcId }))).RouteTable.RouteTableId;
    await ec2.send(new CreateRouteCommand({ RouteTableId: s.privateRt, DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: s.natId }));
    s.associations.push((await ec2.send(new AssociateRouteTableCommand({ RouteTableId: s.privateRt, SubnetId: s.privateSubnet }))).AssociationId);
    const [rt] = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [s.privateRt] }))).RouteTables;
    const def = rt.Routes.find((r) => r.DestinationCidrBlock === "0.0.0.0/0");
    assert.equal(def.NatGatewayId, s.natId);
    assert.equal(def.State, "active");
  });

  it("creates a key pair", async () => {
    s.keyName = `${stack}-key`;
    const kp = await ec2.send(new CreateKeyPairCommand({ KeyName: s.keyName, TagSpecifications: nameTag("key-pair", s.keyName) }));
    assert.equal(kp.KeyName, s.keyName);
    assert.match(kp.KeyPairId, /^key-[0-9a-f]{17}$/);
    assert.match(kp.KeyMaterial, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n?$/);
    assert.match(kp.KeyFingerprint, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    const [shown] = (await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [s.keyName] }))).KeyPairs;
    assert.equal(shown.KeyFingerprint, kp.KeyFingerprint);
    assert.equal(shown.KeyType, "rsa");
  });

  it("launches a web instance from Amazon's latest Amazon Linux image", async () => {
    const images = (
      await ec2.send(
        new DescribeImagesCommand({
          Owners: ["amazon"],
          Filters: [
            { Name: "name", Values: ["al2023-ami-2023.*-x86_64"] },
            { Name: "state", Values: ["available"] },
          ],
        }),
      )
    ).Images;
    assert.ok(images.length > 0);
    assert.ok(images.every((i) => i.ImageOwnerAlias === "amazon" && i.Architecture === "x86_64" && /^al2023-ami-2023\./.test(i.Name)));
    const image = images.reduce((a, b) => (a.CreationDate > b.CreationDate ? a : b));
    s.baseImage = image.ImageId;

    const run = await launchWeb(image.ImageId, "1");
    assert.equal(run.OwnerId, ACCOUNT);
    const [inst] = run.Instances;
    s.instances.push(inst.InstanceId);
    s.first = inst.InstanceId;
    assert.match(inst.InstanceId, /^i-[0-9a-f]{17}$/);
    assert.deepEqual(inst.State, { Code: 0, Name: "pending" });

    const result = await waitUntilInstanceRunning(waiter(ec2), { InstanceIds: [inst.InstanceId] });
    assert.equal(result.state, "SUCCESS");
    const running = await instancesNamed(ec2, webName, ["running"]);
    assert.deepEqual(running.map((i) => i.InstanceId), [inst.InstanceId]);
    const [i] = running;
    assert.deepEqual(i.State, { Code: 16, Name: "running" });
    assert.equal(i.ImageId, image.ImageId);
    assert.equal(i.KeyName, s.keyName);
    assert.equal(i.VpcId, s.vpcId);
    assert.equal(i.SubnetId, s.publicSubnet);
    assert.equal(i.Placement.AvailabilityZone, (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [s.publicSubnet] }))).Subnets[0].AvailabilityZone);
    assert.deepEqual(i.SecurityGroups, [{ GroupId: s.sgId, GroupName: `${stack}-web` }]);
    assert.match(i.PrivateIpAddress, /^10\.42\.1\.\d+$/);
    assert.match(i.PublicIpAddress, /^\d+\.\d+\.\d+\.\d+$/, "the public subnet maps public addresses");
    assert.deepEqual(tagsOf(i), { Name: webName, Version: "1" });
    assert.equal((await instancesNamed(ec2, webName, ["stopped", "terminated"])).length, 0);
  });

  it("bakes an image from the instance", async () => {
    const name = `${stack}-ami`;
    const { ImageId } = await ec2.send(
      new CreateImageCommand({ InstanceId: s.first, Name: name, Description: "baked by the JS suite", TagSpecifications: nameTag("image", name) }),
    );
    s.imageId = ImageId;
    assert.match(ImageId, /^ami-[0-9a-f]{17}$/);
    const result = await waitUntilImageAvailable(waiter(ec2), { ImageIds: [ImageId] });
    assert.equal(result.state, "SUCCESS");
    const [img] = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId] }))).Images;
    assert.equal(img.State, "available");
    assert.equal(img.Name, name);
    assert.equal(img.Description, "baked by the JS suite");
    assert.equal(img.OwnerId, ACCOUNT);
    assert.equal(img.Public, false);
    assert.equal(img.RootDeviceType, "ebs");
    assert.deepEqual(tagsOf(img), { Name: name });
    const root = img.BlockDeviceMappings.find((m) => m.DeviceName === img.RootDeviceName);
    assert.match(root.Ebs.SnapshotId, /^snap-[0-9a-f]{17}$/);
    s.snapshotId = root.Ebs.SnapshotId;
    const mine = (await ec2.send(new DescribeImagesCommand({ Owners: ["self"], Filters: [{ Name: "name", Values: [name] }] }))).Images;
    assert.deepEqual(mine.map((i) => i.ImageId), [ImageId]);
  });

  it("terminates the old instance and launches its replacement from the baked image", async () => {
    const t = (await ec2.send(new TerminateInstancesCommand({ InstanceIds: [s.first] }))).TerminatingInstances;
    assert.deepEqual(t.map((x) => [x.InstanceId, x.PreviousState.Name, x.CurrentState.Name]), [[s.first, "running", "shutting-down"]]);
    const result = await waitUntilInstanceTerminated(waiter(ec2), { InstanceIds: [s.first] });
    assert.equal(result.state, "SUCCESS");
    const [gone] = await instancesNamed(ec2, webName, ["terminated"]);
    assert.equal(gone.InstanceId, s.first);
    assert.deepEqual(gone.State, { Code: 48, Name: "terminated" });

    const run = await launchWeb(s.imageId, "2");
    const id = run.Instances[0].InstanceId;
    s.instances.push(id);
    s.second = id;
    await waitUntilInstanceRunning(waiter(ec2), { InstanceIds: [id] });
    const running = await instancesNamed(ec2, webName, ["running"]);
    assert.deepEqual(running.map((i) => [i.InstanceId, i.ImageId, tagsOf(i).Version]), [[id, s.imageId, "2"]]);
    const all = await instancesNamed(ec2, webName, ["pending", "running", "terminated"]);
    assert.deepEqual(all.map((i) => i.InstanceId).sort(), [s.first, id].sort());
  });

  it("refuses to delete the VPC while it has dependencies", async () => {
    const err = await rejects(ec2.send(new DeleteVpcCommand({ VpcId: s.vpcId })), "DependencyViolation", 400);
    assert.match(err.message, new RegExp(s.vpcId));
    assert.equal((await ec2.send(new DescribeVpcsCommand({ VpcIds: [s.vpcId] }))).Vpcs.length, 1);
  });

  it("tears everything down in order", async () => {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [s.second] }));
    await waitUntilInstanceTerminated(waiter(ec2), { InstanceIds: [s.second] });
    assert.equal((await instancesNamed(ec2, webName, ["pending", "running", "stopping", "stopped"])).length, 0);
    await ec2.send(new DeregisterImageCommand({ ImageId: s.imageId }));
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: s.snapshotId }));
    assert.deepEqual((await ec2.send(new DescribeImagesCommand({ Owners: ["self"], Filters: [{ Name: "name", Values: [`${stack}-ami`] }] }))).Images, []);

    const del = await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: s.natId }));
    assert.equal(del.NatGatewayId, s.natId);
    await advance(60);
    const result = await waitUntilNatGatewayDeleted(waiter(ec2), { NatGatewayIds: [s.natId] });
    assert.equal(result.state, "SUCCESS");
    await ec2.send(new ReleaseAddressCommand({ AllocationId: s.allocationId }));
    await ec2.send(new DeleteKeyPairCommand({ KeyName: s.keyName }));
    for (const a of s.associations) await ec2.send(new DisassociateRouteTableCommand({ AssociationId: a }));
    for (const t of [s.publicRt, s.privateRt]) await ec2.send(new DeleteRouteTableCommand({ RouteTableId: t }));
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: s.igwId, VpcId: s.vpcId }));
    await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: s.igwId }));
    await ec2.send(new DeleteSecurityGroupCommand({ GroupId: s.sgId }));
    for (const sub of [s.publicSubnet, s.privateSubnet]) await ec2.send(new DeleteSubnetCommand({ SubnetId: sub }));
    await ec2.send(new DeleteVpcCommand({ VpcId: s.vpcId }));
    tornDown = true;

    await rejects(ec2.send(new DescribeVpcsCommand({ VpcIds: [s.vpcId] })), "InvalidVpcID.NotFound", 400);
    await rejects(ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [s.igwId] })), "InvalidInternetGatewayID.NotFound", 400);
    await rejects(ec2.send(new DescribeKeyPairsCommand({ KeyNames: [s.keyName] })), "InvalidKeyPair.NotFound", 400);
    await rejects(ec2.send(new DescribeImagesCommand({ ImageIds: [s.imageId] })), "InvalidAMIID.NotFound", 400);
    const [nat] = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [s.natId] }))).NatGateways;
    assert.equal(nat.State, "deleted");
  });
});
