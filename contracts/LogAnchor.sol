// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title LogAnchor: the on-chain witness of dojang's transparency log checkpoints.
/// @notice One record per anchored checkpoint: (origin, tree size, root hash, hash of the signed
///         note). Tree sizes only grow per origin, so an anchored checkpoint can never be replaced
///         by an older or equal one. Only the deployer and the submitters it allows may anchor.
///         No personal data ever reaches this contract: the origin is the log's public name and
///         the hashes commit to the public log.
contract LogAnchor {
    struct Record {
        uint64 treeSize;
        uint64 blockNumber;
        bytes32 root;
        bytes32 noteHash;
    }

    /// @notice The deployer: may anchor and manage the submitter allow-list.
    address public immutable owner;

    /// @notice Addresses other than the owner that may anchor.
    mapping(address => bool) public isSubmitter;

    /// @notice The largest anchored tree size per origin (keyed by keccak256 of the origin string).
    mapping(bytes32 => uint64) public latestSize;

    mapping(bytes32 => mapping(uint64 => Record)) private _records;

    event Anchored(bytes32 indexed originHash, uint64 treeSize, bytes32 root, bytes32 noteHash);
    event SubmitterSet(address indexed submitter, bool allowed);

    constructor() {
        owner = msg.sender;
    }

    /// @notice Allow or disallow a submitter (owner only).
    function setSubmitter(address submitter, bool allowed) external {
        require(msg.sender == owner, "LogAnchor: only the owner manages submitters");
        isSubmitter[submitter] = allowed;
        emit SubmitterSet(submitter, allowed);
    }

    /// @notice Anchor one checkpoint. Reverts unless the caller may anchor and treeSize is larger
    ///         than the last anchored size for this origin.
    function anchor(string calldata origin, uint64 treeSize, bytes32 root, bytes32 noteHash) external {
        require(msg.sender == owner || isSubmitter[msg.sender], "LogAnchor: caller may not anchor");
        bytes32 originHash = keccak256(bytes(origin));
        require(treeSize > latestSize[originHash], "LogAnchor: tree size not larger than the last anchored");
        _records[originHash][treeSize] = Record(treeSize, uint64(block.number), root, noteHash);
        latestSize[originHash] = treeSize;
        emit Anchored(originHash, treeSize, root, noteHash);
    }

    /// @notice The record for (origin, treeSize); all zero when that size was never anchored.
    function lookup(string calldata origin, uint64 treeSize)
        external
        view
        returns (uint64, uint64, bytes32, bytes32)
    {
        Record storage r = _records[keccak256(bytes(origin))][treeSize];
        return (r.treeSize, r.blockNumber, r.root, r.noteHash);
    }

    /// @notice The record with the largest tree size for origin; all zero when none.
    function latest(string calldata origin) external view returns (uint64, uint64, bytes32, bytes32) {
        bytes32 originHash = keccak256(bytes(origin));
        Record storage r = _records[originHash][latestSize[originHash]];
        return (r.treeSize, r.blockNumber, r.root, r.noteHash);
    }
}
