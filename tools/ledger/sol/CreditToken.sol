// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// Charging credit: ERC-20 balances in minor currency units (decimals = 2), issued on top-up and
/// redeemed by operators. Each account is one storage word packing the spendable balance (low
/// 128 bits) with the escrow held for open charging contracts (high 128 bits), so settlement
/// (TapchargeLedger.sol) moves both with one storage write. Escrow moves are recorded by the
/// settlement events, not by Transfer. No external calls anywhere: there is no reentrancy path.
abstract contract CreditToken {
    struct Totals { uint128 issuedMinor; uint128 redeemedMinor; }

    uint256 internal constant BALANCE_MASK = type(uint128).max;

    string public constant name = "tapcharge credit";
    string public constant symbol = "TCC";
    uint8 public constant decimals = 2;

    address public immutable admin;
    address public immutable revenueAccount;
    bool public paused;
    /// The operator enabled last while it stays enabled, else zero: in the slot of `paused`, so
    /// that its writes read one cold slot for both checks instead of two (the mapping stays the
    /// record; another operator is looked up there).
    address internal lastOperator;
    uint256 public totalEscrowMinor;
    Totals internal totals;
    mapping(address => bool) public isOperator;
    mapping(address => uint256) internal accounts;
    mapping(address => mapping(address => uint256)) public allowance;
    /// Operator references (top-up, cash-out, transfer request ids) already applied: a retried
    /// write with the same ref is a no-op.
    mapping(bytes32 => bool) public refUsed;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event Issued(address indexed to, uint256 amountMinor, bytes32 ref);
    event Redeemed(address indexed from, uint256 amountMinor, bytes32 ref);
    event RefDuplicate(bytes32 indexed ref);
    event OperatorSet(address indexed account, bool enabled);
    event PausedSet(bool paused);

    error Unauthorized(address caller);
    error WritesPaused();
    error ZeroAddress();
    error ZeroAmount();
    error ZeroRef();
    error BalanceOverflow(address account);
    error InsufficientBalance(address account, uint256 balanceMinor, uint256 neededMinor);
    error InsufficientAllowance(address owner, address spender, uint256 allowanceMinor, uint256 neededMinor);

    modifier onlyAdmin() {
        if (msg.sender != admin) revert Unauthorized(msg.sender);
        _;
    }

    modifier onlyOperatorWhenNotPaused() {
        (bool writesPaused, address cachedOperator) = (paused, lastOperator);
        if (msg.sender != cachedOperator || cachedOperator == address(0)) {
            if (!isOperator[msg.sender]) revert Unauthorized(msg.sender);
        }
        if (writesPaused) revert WritesPaused();
        _;
    }

    modifier whenNotPaused() {
        if (paused) revert WritesPaused();
        _;
    }

    constructor(address operator, address revenue) {
        if (operator == address(0) || revenue == address(0)) revert ZeroAddress();
        admin = msg.sender;
        revenueAccount = revenue;
        isOperator[operator] = true;
        lastOperator = operator;
        emit OperatorSet(operator, true);
    }

    function setOperator(address account, bool enabled) external onlyAdmin {
        isOperator[account] = enabled;
        if (enabled) lastOperator = account;
        else if (account == lastOperator) lastOperator = address(0);
        emit OperatorSet(account, enabled);
    }

    function setPaused(bool value) external onlyAdmin {
        paused = value;
        emit PausedSet(value);
    }

    function totalSupply() external view returns (uint256) {
        return uint256(totals.issuedMinor) - totals.redeemedMinor;
    }

    function issuedMinor() external view returns (uint256) { return totals.issuedMinor; }

    function redeemedMinor() external view returns (uint256) { return totals.redeemedMinor; }

    /// Spendable balance; credit held in escrow for open contracts is reported by escrowOf.
    function balanceOf(address account) external view returns (uint256) { return accounts[account] & BALANCE_MASK; }

    function escrowOf(address account) external view returns (uint256) { return accounts[account] >> 128; }

    /// Top-up: mint credit to a user. Returns false (and emits RefDuplicate) for a ref already used.
    function issue(address to, uint128 amountMinor, bytes32 ref) external onlyOperatorWhenNotPaused returns (bool) {
        if (to == address(0)) revert ZeroAddress();
        if (amountMinor == 0) revert ZeroAmount();
        if (!_claimRef(ref)) return false;
        _credit(to, amountMinor);
        totals.issuedMinor += amountMinor;
        emit Issued(to, amountMinor, ref);
        emit Transfer(address(0), to, amountMinor);
        return true;
    }

    /// Cash-out: burn credit from an account's spendable balance.
    function redeem(address from, uint128 amountMinor, bytes32 ref) external onlyOperatorWhenNotPaused returns (bool) {
        if (amountMinor == 0) revert ZeroAmount();
        uint256 balance = accounts[from] & BALANCE_MASK;
        if (balance < amountMinor) revert InsufficientBalance(from, balance, amountMinor);
        if (!_claimRef(ref)) return false;
        accounts[from] -= amountMinor;
        totals.redeemedMinor += amountMinor;
        emit Redeemed(from, amountMinor, ref);
        emit Transfer(from, address(0), amountMinor);
        return true;
    }

    /// Circulation on behalf of a user whose signed request the relay verified off-chain
    /// (users are identified by addresses derived from their Ed25519 key ids and hold no EVM key).
    function operatorTransfer(address from, address to, uint128 amountMinor, bytes32 ref) external onlyOperatorWhenNotPaused returns (bool) {
        if (amountMinor == 0) revert ZeroAmount();
        uint256 balance = accounts[from] & BALANCE_MASK;
        if (balance < amountMinor) revert InsufficientBalance(from, balance, amountMinor);
        if (!_claimRef(ref)) return false;
        _move(from, to, amountMinor);
        return true;
    }

    function transfer(address to, uint256 value) external whenNotPaused returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external whenNotPaused returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external whenNotPaused returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert InsufficientAllowance(from, msg.sender, allowed, value);
            allowance[from][msg.sender] = allowed - value;
        }
        _move(from, to, value);
        return true;
    }

    function _move(address from, address to, uint256 value) internal {
        if (to == address(0)) revert ZeroAddress();
        uint256 balance = accounts[from] & BALANCE_MASK;
        if (balance < value) revert InsufficientBalance(from, balance, value);
        accounts[from] -= value;
        _credit(to, value);
        emit Transfer(from, to, value);
    }

    /// Adds to a spendable balance; the 128-bit field must not carry into the escrow half.
    function _credit(address account, uint256 amountMinor) internal {
        uint256 word = accounts[account];
        if ((word & BALANCE_MASK) + amountMinor > BALANCE_MASK) revert BalanceOverflow(account);
        accounts[account] = word + amountMinor;
    }

    function _claimRef(bytes32 ref) internal returns (bool) {
        if (ref == bytes32(0)) revert ZeroRef();
        if (refUsed[ref]) {
            emit RefDuplicate(ref);
            return false;
        }
        refUsed[ref] = true;
        return true;
    }
}
