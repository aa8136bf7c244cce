/** Types for `cluster-key-slot` (the package ships none): Redis Cluster's CRC16 hash slot of a key. */
declare module 'cluster-key-slot' {
  /** The hash slot (0 to 16383) of `key`, honouring `{hash tags}`. */
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    /** The common slot of `keys`, or -1 when they span more than one. */
    function generateMulti(keys: (string | Buffer)[]): number;
  }
  export default calculateSlot;
}
